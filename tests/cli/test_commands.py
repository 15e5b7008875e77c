"""The `tryon` command line, run as a user runs it (a real subprocess)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import trimesh
from PIL import Image

from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

TRYON = [sys.executable, "-m", "tryon.cli"]


def run(*args, cwd=None, **env_vars):
    env = {**os.environ, "TRYON_DATA_DIR": os.environ.get("TRYON_DATA_DIR", str(Path(".tryon").resolve())),
           **env_vars}
    return subprocess.run([*TRYON, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=300)


@pytest.fixture(scope="module")
def skirt_id():
    return next(g.id for g in current_garments().list() if g.name == "A-line skirt")


def test_avatars_json():
    result = run("avatars", "--json")
    assert result.returncode == 0, result.stderr
    avatars = json.loads(result.stdout)
    assert len(avatars) >= 30
    first = avatars[0]
    assert {"id", "label", "sex", "height_cm", "measurements", "skin_tone"} <= set(first)
    assert first["measurements"]["waist_girth"] > 0


def test_render_writes_the_image(tmp_path, skirt_id):
    out = tmp_path / "skirt.webp"
    result = run("render", "--avatar", "f165-eu40", "--garment", skirt_id, "--size", "M",
                 "--fit-map", "--view", "three-quarter", "--width", "128", "--height", "192",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (128, 192)


def test_drape_exports_glb_and_prints_stats(tmp_path, skirt_id):
    out = tmp_path / "skirt.glb"
    result = run("drape", "--avatar", "f158-eu38", "--garment", skirt_id, "--size", "S",
                 "--out", str(out))
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["max_penetration_mm"] <= 1.0 and stats["vertices"] > 1000
    assert set(stats["regions"]) >= {"hips", "length"}
    mesh = trimesh.load(out, force="mesh", process=False)
    assert len(mesh.vertices) > 1000


def test_garments_json_and_add(tmp_path, skirt_id):
    listed = json.loads(run("garments", "--json").stdout)
    assert any(g["id"] == skirt_id and g["sizes"] == ["XS", "S", "M", "L", "XL"] for g in listed)
    junk = tmp_path / "junk.obj"
    junk.write_bytes(os.urandom(2048))
    result = run("garments", "add", str(junk), "--name", "Junk", "--category", "top",
                 "--sizes", "M")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["accepted"] is False and report["reports"]["M"]["findings"]


def test_garment_colorways_from_a_file_then_replaced_and_rendered(tmp_path, skirt_id):
    skirt = current_garments().load_size(skirt_id, "M")
    obj = tmp_path / "skirt_M.obj"
    obj.write_text("\n".join([*(f"v {x} {y} {z}" for x, y, z in skirt.vertices),
                              *(f"vt {u} {v}" for u, v in skirt.uvs),
                              *("f " + " ".join(f"{i + 1}/{i + 1}" for i in f) for f in skirt.faces)]))
    (tmp_path / "prints").mkdir()
    Image.new("RGB", (64, 64), (200, 170, 40)).save(tmp_path / "prints" / "mustard.jpg")
    colorways = tmp_path / "colorways.json"
    colorways.write_text(json.dumps([{"name": "Forest", "color": "#3d6b4f"},
                                     {"name": "Mustard print", "texture": "prints/mustard.jpg"}]))
    store = {"TRYON_GARMENTS_DIR": str(tmp_path / "garments")}
    added = run("garments", "add", str(obj), "--name", "Colour skirt", "--category", "skirt",
                "--sizes", "M", "--grade-to", "S,L", "--colorways", str(colorways), **store)
    assert added.returncode == 0, added.stderr
    garment = json.loads(added.stdout)["garment"]
    assert set(json.loads(added.stdout)["reports"]) == {"S", "M", "L"}
    listed = json.loads(run("garments", "colorways", garment, **store).stdout)
    assert [(c["id"], c["has_texture"]) for c in listed] == [("forest", False),
                                                              ("mustard-print", True)]
    out = tmp_path / "mustard.png"
    rendered = run("render", "--avatar", "f165-eu40", "--garment", garment, "--size", "M",
                   "--colorway", "mustard-print", "--width", "64", "--height", "96",
                   "--out", str(out), **store)
    assert rendered.returncode == 0, rendered.stderr
    assert Image.open(out).size == (64, 96)
    colorways.write_text('[{"name": "Sky", "color": "sky blue"}]')
    refused = run("garments", "colorways", garment, "--set", str(colorways), **store)
    assert refused.returncode == 2 and "not #RRGGBB" in refused.stderr
    cleared = run("garments", "colorways", garment, "--clear", **store)
    assert json.loads(cleared.stdout) == []
    missing = run("render", "--avatar", "f165-eu40", "--garment", garment, "--size", "M",
                  "--colorway", "forest", "--out", str(out), **store)
    assert missing.returncode == 2 and "no colorway 'forest'" in missing.stderr


def test_mannequin_export(tmp_path):
    out = tmp_path / "mannequin.obj"
    assert run("mannequin", "--fit", "women", "--size", "38", "--out", str(out)).returncode == 0
    mesh = trimesh.load(out, process=False)
    assert 1.6 < mesh.vertices[:, 2].max() < 1.75 and abs(mesh.vertices[:, 2].min()) < 1e-6


@pytest.mark.parametrize("args, message", [
    (["render", "--avatar", "nobody", "--out", "x.png"], "no avatar"),
    (["render", "--avatar", "f165-eu40", "--out", "x.gif"], "--out must end in"),
    (["render", "--avatar", "f165-eu40", "--width", "5000", "--out", "x.png"], "2048"),
    (["drape", "--avatar", "f165-eu40", "--garment", "nothing", "--size", "M", "--out", "x.glb"], "no garment"),
    (["mannequin", "--size", "Q", "--out", "x.obj"], "unknown women's size"),
])
def test_bad_input_is_a_clear_message(tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_garment_is_sewn_from_a_graded_dxf_and_its_stitches_file(tmp_path):
    from garments.patterns.reading import read_pattern
    from tests.garments.patterns.test_dxf_aama import graded_skirt
    from tests.sewing.test_sewing import _side_seams

    dxf = tmp_path / "skirt-a01.dxf"
    dxf.write_bytes(graded_skirt())
    checked = run("patterns", "check", str(dxf))
    assert checked.returncode == 0 and "edge  1: (" in checked.stdout, checked.stdout
    store = {"TRYON_GARMENTS_DIR": str(tmp_path / "garments")}
    unsewn = run("garments", "add-pattern", str(dxf), "--name", "DXF skirt", "--category", "skirt", **store)
    assert unsewn.returncode == 2 and "--sewing" in unsewn.stderr
    sewing = tmp_path / "sewing.json"
    sewing.write_text(json.dumps(_side_seams(read_pattern(dxf.read_bytes(), dxf.name))))
    added = run("garments", "add-pattern", str(dxf), "--name", "DXF skirt", "--category", "skirt",
                "--sizes", "S,M", "--sewing", str(sewing), **store)
    assert added.returncode == 0, added.stderr
    outcome = json.loads(added.stdout)
    assert outcome["accepted"] and sorted(outcome["sewing"]) == ["M", "S"]
    assert "size S: sewn" in added.stderr  # progress, as it goes
    wrong_size = run("garments", "add-pattern", str(dxf), "--name", "DXF skirt", "--category", "skirt",
                     "--sizes", "XXL", "--sewing", str(sewing), **store)
    assert wrong_size.returncode == 2 and "no size XXL" in wrong_size.stderr
