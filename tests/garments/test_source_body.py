"""A garment made on another tool's avatar (T-pose, Y-up, centimetres, another
topology) is imported with that avatar, and drapes on anyone as if made on ours."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from avatars.library import get_avatar
from garments.body_regions import posed_geometry
from garments.ingest import coverage
from garments.source_body import fit_source_body
from garments.store import GarmentStore
from tests.garments.source_files import exported, t_posed_avatar, write_obj
from tests.settings import current_garments
from tryon.drape.draping import drape

pytestmark = pytest.mark.slow  # fits a body model (about 30 s) and drapes

SOURCE_SHAPE_OF = "m178-eu52"  # the tool's avatar: not the mannequin's shape, nor its pose


@pytest.fixture(scope="module")
def exported_tee(tmp_path_factory, anny_model):
    """(folder, the files): the sample T-shirt, sizes S and L, made on a T-posed
    avatar of another topology, exported Y-up in centimetres with that avatar."""
    folder = tmp_path_factory.mktemp("clo-export")
    samples = current_garments()
    tee = next(g for g in samples.list() if g.name == "Classic T-shirt")
    avatar = get_avatar(SOURCE_SHAPE_OF)
    remeshed, remeshed_faces, pelvis = t_posed_avatar(anny_model, avatar.shape)
    write_obj(folder / "avatar.obj", exported(remeshed, pelvis), remeshed_faces)
    files = {}
    for size in ("S", "L"):
        made = drape(avatar, tee.id, size, "t-pose", store=samples)  # the tool's simulation
        files[size] = folder / f"tee_{size}.obj"
        write_obj(files[size], exported(made.render_positions, pelvis), made.mesh.faces)
    return folder, files


@pytest.fixture(scope="module")
def source(exported_tee):
    folder, _ = exported_tee
    return fit_source_body((folder / "avatar.obj").read_bytes(), "avatar.obj")


def test_the_avatar_is_fitted_and_its_frame_and_pose_found(source, anny_model):
    report = source.report
    assert report["mean_mm"] < 10 and report["p95_mm"] < 25, report
    assert report["pose"] == "t-pose", report
    notes = " | ".join(report["read"])
    assert "centimetres" in notes and "+Y" in notes, notes
    assert source.geometry().vertices.shape == (anny_model.vertex_count, 3)


def test_without_its_avatar_the_garment_is_refused_with_the_reason(exported_tee, tmp_path):
    _, files = exported_tee
    store = GarmentStore(tmp_path / "garments")
    garment, reports = store.add("Tee", "top", "jersey", "men", {"S": files["S"]})
    assert garment is None
    (error,) = [f for f in reports["S"].findings if f.severity == "error"]
    assert error.code in ("not_on_body", "off_body"), error
    assert "--source-body" in error.message


def test_with_its_avatar_it_drapes_on_library_bodies_where_a_top_sits(exported_tee, source,
                                                                      tmp_path):
    _, files = exported_tee
    store = GarmentStore(tmp_path / "garments")
    garment, reports = store.add("Tee", "top", "jersey", "men", files,
                                 dict.fromkeys(files, source))
    assert garment is not None, {s: r.as_dict() for s, r in reports.items()}
    assert store.source_body(garment.id, "S").report == source.report
    strain = {}
    for avatar_id in ("m170-eu50", "f165-eu40", "m194-eu60"):
        body = get_avatar(avatar_id)
        for size in ("S", "L"):
            for pose in ("a-pose", "relaxed"):
                d = drape(body, garment.id, size, pose, store=store)
                assert d.stats["max_penetration_mm"] <= 1.0, (avatar_id, size, pose, d.stats)
                assert np.isfinite(d.positions).all() and d.gap.max() < 0.3
                if pose == "a-pose":
                    target = posed_geometry(body.sex, body.shape, "a-pose")
                    for part in coverage.covered_parts("top", target):
                        around = coverage.surround(d.positions, d.faces, target, part)
                        assert around.surrounds, (avatar_id, size, around)
                    strain[avatar_id, size] = d.stats["torso_mean_stretch"]
    for avatar_id in ("m170-eu50", "f165-eu40", "m194-eu60"):
        assert strain[avatar_id, "S"] >= strain[avatar_id, "L"] - 0.003, strain


def test_other_sizes_graded_from_one_made_on_its_avatar_fit_in_order(exported_tee, source,
                                                                      tmp_path):
    _, files = exported_tee
    store = GarmentStore(tmp_path / "garments")
    garment, reports = store.add_graded("Tee", "top", "jersey", "men", "L", files["L"],
                                        ["S", "M", "L", "XL"], source_body=source)
    assert garment is not None, {s: r.as_dict() for s, r in reports.items()}
    assert garment.sizes == ["S", "M", "L", "XL"] and garment.base_size == "L"
    assert store.source_body(garment.id, "L").report == source.report
    for size in ("S", "M", "XL"):  # graded in the T-pose it was made in, on that size's shape
        graded_on = store.source_body(garment.id, size)
        assert graded_on.report == {"graded_from": "L", "pose": "t-pose"}
        assert graded_on.pose == source.pose and graded_on.shape != source.shape
    body = get_avatar("m182-eu54")  # chest 108 cm
    strain, hems = {}, {}
    for size in garment.sizes:
        d = drape(body, garment.id, size, "a-pose", store=store)
        assert d.stats["max_penetration_mm"] <= 1.0, (size, d.stats)
        strain[size] = d.stats["torso_mean_stretch"]
        hems[size] = d.positions[:, 2].min()
    ordered = [strain[s] for s in garment.sizes]
    assert all(a >= b - 0.003 for a, b in zip(ordered, ordered[1:])), strain
    assert strain["S"] > strain["XL"] + 0.01, strain  # a size too small is visibly tighter
    target = posed_geometry(body.sex, body.shape, "a-pose")
    assert all(target.levels.crotch - 0.15 < h < target.levels.waist for h in hems.values()), hems


def test_the_command_line_imports_it_with_its_avatar(exported_tee, tmp_path):
    import json
    import os
    import subprocess
    import sys

    folder, files = exported_tee
    env = {**os.environ, "TRYON_GARMENTS_DIR": str(tmp_path / "garments")}
    result = subprocess.run(
        [sys.executable, "-m", "tryon.cli", "garments", "add", str(files["S"]), str(files["L"]),
         "--source-body", str(folder / "avatar.obj"), "--name", "Tee", "--category", "top",
         "--fit", "men", "--fabric", "jersey", "--sizes", "S,L"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["accepted"] and printed["source_body"]["pose"] == "t-pose", printed
    assert "fitting the body model" in result.stderr
    assert GarmentStore(tmp_path / "garments").source_body(printed["garment"], "L") is not None


def test_a_source_body_of_no_adult_s_stature_is_refused_naming_it(exported_tee):
    from avatars.scans.reading import ScanError

    folder, _ = exported_tee
    avatar = trimesh.load(folder / "avatar.obj", process=False)
    small = trimesh.Trimesh(avatar.vertices * 0.6, avatar.faces, process=False)  # 1.1 m tall
    with pytest.raises(ScanError, match=r"1\.\d\d m tall read in centimetres.*--source-units"):
        fit_source_body(small.export(file_type="obj").encode(), "child.obj")
    with pytest.raises(ScanError, match="units are one of"):
        fit_source_body((folder / "avatar.obj").read_bytes(), "avatar.obj", units="inch")


def test_a_stick_figure_avatar_is_refused_with_the_distances():
    """The tests' synthetic SMPL-X body (10,475 vertices, SMPL-X's topology and
    skeleton, T-pose, Y-up) is a tube per bone, not a skin: no body fits it
    well enough to drape from, and the refusal says how far and what to send."""
    from avatars.scans.fitting import FitRejected
    from tests.avatars.synthetic_smplx import synthetic_smplx_arrays

    arrays = synthetic_smplx_arrays("female")
    tubes = trimesh.Trimesh(arrays["v_template"] * 100.0, arrays["f"], process=False)  # cm
    with pytest.raises(FitRejected) as refused:
        fit_source_body(tubes.export(file_type="obj").encode(), "smplx_female.obj")
    assert refused.value.field == "source_body"
    assert refused.value.percentiles["mean"] > 10 or refused.value.percentiles["p95"] > 25
    assert "avatar-to-model distance mean" in str(refused.value)
    assert "a standing human body with a closed skin surface" in str(refused.value)
