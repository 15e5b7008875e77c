"""Reading and normalising scan files, on synthetic scans of real anny bodies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from avatars.scans.reading import MAX_SCAN_POINTS, Scan, ScanError, load_scan, normalise_points
from avatars.scans.synthetic import synthetic_scan, write_points
from tryon.core.geometry import closest_on_surface

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

POINTS = 30_000  # enough for every behaviour checked here


def _offset_to_truth(scan: Scan, made) -> np.ndarray:
    """(N,) distance of each normalised scan point to the true body surface,
    once the horizontal centring that normalisation applied is undone."""
    faces = made.faces
    shift = np.median(made.body_points[:, :2], axis=0) - np.median(scan.points[:, :2], axis=0)
    moved = scan.points.astype(np.float64) + [*shift, 0.0]
    for _ in range(2):  # refine the shift on the closest surface points
        face, bary, distance = closest_on_surface(moved, made.vertices, faces)
        closest = (made.vertices[faces[face]] * bary[..., None]).sum(axis=1)
        moved[:, :2] += np.median(closest[:, :2] - moved[:, :2], axis=0)
    return closest_on_surface(moved, made.vertices, faces)[2]


@pytest.mark.parametrize(
    "file_format, units, y_up",
    [("ply", "m", False), ("glb", "mm", True), ("obj", "cm", False), ("ply", "mm", True)],
)
def test_units_up_axis_floor_and_clutter_are_normalised(anny_model, file_format, units, y_up):
    made = synthetic_scan(anny_model, seed=3, points=POINTS, file_format=file_format,
                          units=units, y_up=y_up)
    scan = load_scan(made.data, made.filename)
    notes = " | ".join(scan.notes)
    unit_name = {"m": "metres", "cm": "centimetres", "mm": "millimetres"}[units]
    assert f"units: {unit_name}" in notes
    assert ("up axis: +Y" if y_up else "up axis: +Z") in notes
    assert "floor: removed" in notes and "placed the floor on z = 0" in notes
    assert "clutter: removed" in notes
    assert scan.points.dtype == np.float32 and scan.points.shape[1] == 3
    # The floor and the clutter are gone, the body (bar its lowest ~1 cm) kept.
    assert len(scan.points) == pytest.approx(POINTS, rel=0.03)
    assert scan.points[:, 2].min() >= 0.0
    top = made.vertices[:, 2].max()
    assert scan.points[:, 2].max() == pytest.approx(top, abs=0.015)
    distance = _offset_to_truth(scan, made)
    assert np.percentile(distance, 99) < 0.01  # the 3 mm noise only


@pytest.mark.parametrize("file_format, units, y_up", [("glb", "mm", True), ("obj", "cm", False)])
def test_the_transform_takes_the_file_s_coordinates_to_the_scan_s(anny_model, file_format, units,
                                                                  y_up):
    """Whatever came in the scan's frame (a garment made on this body) can follow it."""
    import io

    from scipy.spatial import cKDTree

    made = synthetic_scan(anny_model, seed=5, points=POINTS, file_format=file_format,
                          units=units, y_up=y_up)
    scan = load_scan(made.data, made.filename)
    loaded = trimesh.load(io.BytesIO(made.data), file_type=file_format, process=False)
    raw = (np.concatenate([g.vertices for g in loaded.dump()]) if isinstance(loaded, trimesh.Scene)
           else np.asarray(loaded.vertices))
    moved = raw @ scan.transform[:3, :3].T + scan.transform[:3, 3]
    distance, _ = cKDTree(moved).query(scan.points)
    assert distance.max() < 1e-5  # every kept point is a file point, moved
    assert np.allclose(scan.transform[3], [0, 0, 0, 1])
    assert abs(np.linalg.det(scan.transform[:3, :3])) == pytest.approx(
        {"mm": 1e-3, "cm": 1e-2}[units] ** 3)


def test_units_the_caller_gives_are_used(anny_model):
    made = synthetic_scan(anny_model, seed=6, points=POINTS, file_format="obj", units="cm")
    scan = load_scan(made.data, made.filename, units="cm")
    assert "units: centimetres (given)" in " | ".join(scan.notes)
    assert scan.transform[0, 0] ** 2 + scan.transform[1, 0] ** 2 + scan.transform[2, 0] ** 2 \
        == pytest.approx(1e-4)
    with pytest.raises(ScanError, match="units are one of m, cm, mm"):
        load_scan(made.data, made.filename, units="in")


def test_scan_without_floor_stands_on_its_lowest_point(anny_model):
    made = synthetic_scan(anny_model, seed=4, points=POINTS, floor=False, clutter=False)
    scan = load_scan(made.data, made.filename)
    assert "placed the lowest point on z = 0" in scan.notes
    assert any("no floor found" in note for note in scan.notes)
    assert scan.points[:, 2].min() == 0.0
    assert np.percentile(_offset_to_truth(scan, made), 99) < 0.01


def test_sparse_mesh_is_sampled_and_keeps_normals(anny_model):
    made = synthetic_scan(anny_model, seed=5, points=1_000)
    mesh = trimesh.Trimesh(made.vertices * 100.0, anny_model.faces, process=False)  # centimetres
    data = mesh.export(file_type="ply")
    scan = load_scan(data, "body.ply")
    assert any("sampled" in note for note in scan.notes)
    assert scan.normals is not None and scan.normals.shape == scan.points.shape
    np.testing.assert_allclose(np.linalg.norm(scan.normals, axis=1), 1.0, atol=1e-4)
    assert scan.points[:, 2].max() == pytest.approx(made.vertices[:, 2].max(), abs=0.005)


@pytest.mark.parametrize("encoding", ["binary_little_endian", "ascii"])
def test_point_cloud_normals_are_carried(anny_model, encoding):
    made = synthetic_scan(anny_model, seed=6, points=POINTS, floor=False, clutter=False)
    points = load_scan(made.data, made.filename).points
    normals = np.tile([0.0, 0.0, 1.0], (len(points), 1))
    header = (
        f"ply\nformat {encoding} 1.0\n"
        f"element vertex {len(points)}\nproperty float x\nproperty float y\nproperty float z\n"
        "property float nx\nproperty float ny\nproperty float nz\nend_header\n"
    )
    rows = np.hstack([points, normals]).astype("<f4")
    body = rows.tobytes() if encoding != "ascii" else "".join(
        " ".join(f"{v:.5f}" for v in row) + "\n" for row in rows).encode()
    scan = load_scan(header.encode() + body, f"normals-{encoding}.ply")
    assert scan.normals is not None
    np.testing.assert_allclose(scan.normals[:, 2], 1.0, atol=1e-6)


def test_unsupported_format_is_named():
    with pytest.raises(ScanError, match="not a supported scan format.*PLY, OBJ, GLB"):
        load_scan(b"solid x", "body.stl")


def test_empty_and_unreadable_files_are_named():
    with pytest.raises(ScanError, match="empty"):
        load_scan(b"", "body.ply")
    with pytest.raises(ScanError, match="could not read body.glb as GLB"):
        load_scan(b"this is not a glb file at all", "body.glb")
    with pytest.raises(ScanError, match="no points"):
        load_scan(b"# nothing here\n", "body.obj")


def test_too_many_points_are_refused_with_the_count_and_the_limit():
    count = MAX_SCAN_POINTS + 1
    header = (
        "ply\nformat binary_little_endian 1.0\n"
        f"element vertex {count}\n"
        "property float x\nproperty float y\nproperty float z\nend_header\n"
    )
    data = header.encode() + np.zeros((count, 3), "<f4").tobytes()
    with pytest.raises(ScanError, match=f"{count:,} points; the limit is {MAX_SCAN_POINTS:,}"):
        load_scan(data, "huge.ply")


def test_no_body_sized_object_is_refused():
    cup = trimesh.creation.box((0.1, 0.1, 0.15))  # a 15 cm object, in metres
    points, _ = trimesh.sample.sample_surface(cup, 20_000, seed=0)
    with pytest.raises(ScanError, match="no body-sized object"):
        load_scan(write_points(points, "ply"), "cup.ply")
    with pytest.raises(ScanError, match="at least"):
        normalise_points(np.zeros((10, 3)))


def test_non_finite_points_are_dropped(anny_model):
    made = synthetic_scan(anny_model, seed=7, points=POINTS, floor=False, clutter=False)
    points = load_scan(made.data, made.filename).points.astype(np.float64)
    points[:5] = np.nan
    scan = normalise_points(points)
    assert np.isfinite(scan.points).all()
    assert any("non-finite" in note for note in scan.notes)


def test_scan_is_frozen(anny_model):
    made = synthetic_scan(anny_model, seed=8, points=POINTS)
    scan = load_scan(made.data, made.filename)
    with pytest.raises(AttributeError):
        scan.points = None  # type: ignore[misc]
    assert isinstance(scan.notes, tuple)


def test_a_coloured_point_cloud_keeps_each_point_s_colour(anny_model):
    """Colours follow their points through units, up axis, floor and clutter removal."""
    import io

    made = synthetic_scan(anny_model, seed=3, points=POINTS, file_format="ply", units="mm", y_up=True)
    raw = np.asarray(trimesh.load(io.BytesIO(made.data), file_type="ply").vertices)
    height = (raw[:, 1] - raw[:, 1].min()) / np.ptp(raw[:, 1])  # the file is Y-up
    colours = np.column_stack([height * 255, 255 - height * 255, np.full(len(raw), 90),
                               np.full(len(raw), 255)]).astype(np.uint8)
    data = trimesh.PointCloud(raw, colors=colours).export(file_type="ply")
    scan = load_scan(data, "coloured.ply")
    assert scan.colours is not None and scan.colours.shape == (len(scan.points), 3)
    assert scan.colours.dtype == np.uint8 and "colours: read with the points" in scan.notes
    # red grows with the height in the file; after normalisation, with z
    assert np.corrcoef(scan.colours[:, 0], scan.points[:, 2])[0, 1] > 0.99
    assert (scan.colours[:, 2] == 90).all()
    assert load_scan(made.data, made.filename).colours is None  # no colours, none made up


def test_a_textured_mesh_gives_its_texture_s_colours(anny_model):
    """A sparse GLB mesh (sampled) with a texture: red above the waist, blue below."""
    from PIL import Image

    with torch.no_grad():
        body = anny_model.forward(anny_model.default_shape(), anny_model.named_pose("a-pose"))
    vertices = body.vertices[0].numpy().astype(np.float64)
    up = vertices[:, 2] / vertices[:, 2].max()
    image = Image.new("RGB", (4, 64), (220, 30, 30))
    image.paste((30, 30, 220), (0, 32, 4, 64))  # the image's lower half: v below 0.5
    uv = np.column_stack([np.full(len(vertices), 0.5), up])
    gltf_frame = np.column_stack([vertices[:, 0], vertices[:, 2], -vertices[:, 1]])  # Y up
    mesh = trimesh.Trimesh(gltf_frame, anny_model.faces, process=False,
                           visual=trimesh.visual.TextureVisuals(uv=uv, image=image))
    scan = load_scan(mesh.export(file_type="glb"), "textured.glb")
    assert scan.colours is not None and len(scan.colours) == len(scan.points)
    z = scan.points[:, 2] / scan.points[:, 2].max()
    red = scan.colours[:, 0] > scan.colours[:, 2]
    assert red[z > 0.6].mean() > 0.97 and (~red)[z < 0.4].mean() > 0.97
