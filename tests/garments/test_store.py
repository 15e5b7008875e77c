"""The garment store: imports all sizes or none, and keeps what was uploaded."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from garments.garment import Garment
from garments.mannequin import mannequin_mesh
from garments.store import GarmentStore
from tests.garments.garment_files import (
    obj_text, ply_bytes, png_bytes, torso_tube, write_obj_with_texture,
)

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


@pytest.fixture(scope="module")
def tube_s():
    return torso_tube(mannequin_mesh("women", "S"))


@pytest.fixture()
def uploads(tmp_path, tube, tube_s):
    """Size S as OBJ + MTL + PNG under an awkward name, size M as PLY."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    obj = write_obj_with_texture(folder, *tube_s, stem="Tüb top (final)")
    ply = folder / "m.PLY"
    ply.write_bytes(ply_bytes(*tube))
    return {"s": obj, "M": ply}


def _leftovers(store):
    """Everything in the store except its empty import area."""
    return sorted(str(p.relative_to(store.root)) for p in store.root.rglob("*")
                  if p != store.root / ".incoming")


def test_add_stores_every_size_and_the_uploads(tmp_path, uploads, tube):
    store = GarmentStore(tmp_path / "garments")

    garment, reports = store.add("Tube Top", "top", "jersey", "women", uploads)

    assert garment is not None and all(r.accepted for r in reports.values())
    assert re.fullmatch(r"tube-top-[0-9a-f]{10}", garment.id)
    assert garment.sizes == ["S", "M"] and garment.status == "draft"
    assert store.list() == [garment] and store.get(garment.id) == garment
    assert garment.reports["M"]["accepted"] is True

    folder = store.root / garment.id / "sizes"
    assert sorted(p.name for p in (folder / "S").iterdir()) == [
        "companion-1.mtl", "companion-2.png", "mesh.npz", "source.obj", "upload.json"]
    assert (folder / "S" / "source.obj").read_bytes() == uploads["s"].read_bytes()
    assert (folder / "S" / "companion-2.png").read_bytes() == png_bytes()
    upload = json.loads((folder / "S" / "upload.json").read_text())
    assert upload["filename"] == "Tüb top (final).obj"
    assert upload["companions"][0] == {"name": "Tüb top (final).mtl", "stored": "companion-1.mtl"}
    assert sorted(p.name for p in (folder / "M").iterdir()) == [
        "mesh.npz", "source.ply", "upload.json"]

    size_m = store.load_size(garment.id, "m")
    np.testing.assert_allclose(size_m.physics_vertices, tube[0], atol=1e-6)
    size_s = store.load_size(garment.id, "S")
    assert size_s.material.texture == png_bytes() and size_s.uvs is not None
    assert len(size_s.vertices) > len(size_s.physics_vertices)  # the UV seam

    published = store.set_status(garment.id, "published")
    assert store.get(garment.id).status == "published" == published.status
    store.delete(garment.id)
    assert store.list() == [] and _leftovers(store) == []
    with pytest.raises(KeyError):
        store.get(garment.id)


def test_the_same_import_twice_is_one_garment(tmp_path, uploads):
    store = GarmentStore(tmp_path / "garments")
    first, _ = store.add("Tube Top", "top", "jersey", "women", uploads)
    again, _ = store.add("Tube Top", "top", "jersey", "women", uploads)
    other, _ = store.add("Tube Top", "top", "knit", "women", uploads)
    assert again == first and other.id != first.id and len(store.list()) == 2


def test_a_rejected_size_stores_nothing(tmp_path, uploads, tube):
    text = obj_text(*tube)
    truncated = tmp_path / "uploads" / "m.obj"
    truncated.write_text(text[: text.rstrip("\n").rfind(" ")])
    store = GarmentStore(tmp_path / "garments")

    garment, reports = store.add("Tube Top", "top", "jersey", "women",
                                 {"S": uploads["s"], "M": truncated})

    assert garment is None
    assert reports["S"].accepted and not reports["M"].accepted
    assert reports["M"].codes("error") == ["truncated"]
    assert store.list() == [] and _leftovers(store) == []


def test_a_file_failing_mid_import_leaves_no_trace(tmp_path, uploads):
    broken = tmp_path / "uploads" / "l.obj"
    broken.mkdir()  # a folder where a file should be: reading it fails
    store = GarmentStore(tmp_path / "garments")

    with pytest.raises(OSError):
        store.add("Tube Top", "top", "jersey", "women", {**uploads, "L": broken})

    assert store.list() == [] and _leftovers(store) == []


def test_add_graded(tmp_path, uploads):
    store = GarmentStore(tmp_path / "garments")

    garment, reports = store.add_graded("Graded Tube", "top", "knit", "women", "M", uploads["M"],
                                        ["XS", "S", "L", "XL"], length_scale={"XL": 1.05})

    assert garment.sizes == ["XS", "S", "M", "L", "XL"] and garment.base_size == "M"
    assert all(r.accepted for r in reports.values())
    hem = [store.load_size(garment.id, s).vertices[:, 2].min() for s in ("L", "XL")]
    assert hem[1] < hem[0] - 0.005  # XL is longer
    graded_only = store.root / garment.id / "sizes" / "XS"
    assert sorted(p.name for p in graded_only.iterdir()) == ["mesh.npz"]


def test_graded_from_a_rejected_base_stores_nothing(tmp_path):
    base = tmp_path / "junk.obj"
    base.write_bytes(b"\x00\x01garbage")
    store = GarmentStore(tmp_path / "garments")
    garment, reports = store.add_graded("Tube", "top", "knit", "women", "M", base, ["S", "L"])
    assert garment is None and reports["M"].codes("error") == ["not_text"]
    assert _leftovers(store) == []


def test_bad_details_are_refused(tmp_path, uploads):
    store = GarmentStore(tmp_path / "garments")
    for change, message in [({"category": "hat"}, "category"), ({"fabric": "tweed"}, "fabric"),
                            ({"fit": "kids"}, "fit"), ({"name": " "}, "name")]:
        details = {"name": "Tee", "category": "top", "fabric": "jersey", "fit": "women", **change}
        with pytest.raises(ValueError, match=message):
            store.add(files=uploads, **details)
    with pytest.raises(ValueError, match="unknown"):
        store.add("Tee", "top", "jersey", "women", {"XXXL": uploads["M"]})
    with pytest.raises(ValueError, match="once"):
        store.add("Tee", "top", "jersey", "women", {"m": uploads["M"], "M": uploads["M"]})
    assert _leftovers(store) == []


def test_ids_are_never_paths(tmp_path, uploads):
    store = GarmentStore(tmp_path / "garments")
    garment, _ = store.add("../../Évil / name", "top", "jersey", "women", {"M": uploads["M"]})
    assert garment.id.startswith("evil-name-")
    for bad in ("../" + garment.id, "..", "/etc", garment.id + "/sizes"):
        with pytest.raises(KeyError):
            store.get(bad)
    with pytest.raises(KeyError):
        store.load_size(garment.id, "../M")
    assert Garment.from_json((store.root / garment.id / "garment.json").read_text()) == garment


def test_stale_imports_are_swept_and_live_ones_kept(tmp_path):
    import os
    import time

    store = GarmentStore(tmp_path / "garments")
    incoming = store.root / ".incoming"
    incoming.mkdir(exist_ok=True)
    killed, live = incoming / "killed-import", incoming / "live-import"
    for folder in (killed, live):
        (folder / "sizes" / "M").mkdir(parents=True)
        (folder / "sizes" / "M" / "source.obj").write_text("v 0 0 0\n")
    two_hours_ago = time.time() - 7200
    os.utime(killed, (two_hours_ago, two_hours_ago))

    assert store.sweep_stale_imports() == 1
    assert not killed.exists() and live.exists()
