"""Rendering: views, scene, the shared renderer, encoding, and the body render.

Real renderer (EGL; llvmpipe on a CPU), real anny body, small images.
"""

from __future__ import annotations

import io
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from PIL import Image

from tryon.render.body import render_body, render_body_rgba
from tryon.render.encoding import encode_image
from tryon.render.renderer import get_renderer
from garments.base_outfit import clip_mesh
from tryon.core.geometry import vertex_normals
from tryon.render.scene import body_scene
from tryon.render.views import VIEWS, frame_points, turntable_views

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

W, H = 96, 144  # small: the suite stays fast


@pytest.fixture(scope="module")
def body(anny_model):
    """Keyword arguments of ``render_body`` for the default adult in the A-pose."""
    with torch.no_grad():
        out = anny_model.forward(anny_model.default_shape(), anny_model.named_pose("a-pose"))
    return dict(
        vertices=out.vertices[0].numpy(),
        faces=anny_model.faces,
        joints=out.joints[0].numpy(),
        landmarks=anny_model.landmarks,
        arm_mask=anny_model.arm_vertex_mask(),
    )


@pytest.fixture(scope="module")
def front(body):
    return render_body_rgba(**body, skin_tone=5, width=W, height=H)


def test_silhouette_fills_the_frame_centred(front):
    assert front.shape == (H, W, 4) and front.dtype == np.uint8
    solid = front[..., 3] > 127
    assert 0.10 < solid.mean() < 0.35  # a standing body, not a speck or a wall
    cols = np.flatnonzero(solid.any(axis=0))
    rows = np.flatnonzero(solid.any(axis=1))
    assert abs(cols[0] - (W - 1 - cols[-1])) <= 1  # centred horizontally
    assert abs(np.nonzero(solid)[1].mean() - (W - 1) / 2) < 0.02 * W
    assert rows[-1] - rows[0] > 0.8 * H or cols[-1] - cols[0] > 0.8 * W  # fills one direction


@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_renders_whole_body_inside_the_frame(body, view):
    rgba = render_body_rgba(**body, skin_tone=3, view=view, width=W, height=H)
    alpha = rgba[..., 3]
    assert (alpha > 127).mean() > 0.05
    border = np.concatenate([alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]])
    assert border.max() == 0  # no clipping of head, feet, hands or shadow
    rows = np.flatnonzero((alpha > 127).any(axis=1))
    assert rows[-1] < H - 2  # feet stand a little above the bottom edge


def test_contact_shadow_is_soft_and_under_the_feet(front):
    alpha = front[..., 3]
    rows = np.flatnonzero((alpha == 255).any(axis=1))
    below_feet = alpha[rows[-1] + 1 :]
    assert 0 < below_feet.max() < 255  # shadow shows, translucent
    assert ((alpha > 0) & (alpha < 255)).sum() > 2 * W  # more than antialiased edges


def test_skin_tone_changes_skin_only(body):
    light = render_body_rgba(**body, skin_tone=1, width=W, height=H)
    dark = render_body_rgba(**body, skin_tone=10, width=W, height=H)
    solid = np.flatnonzero((light[..., 3] == 255).any(axis=1))
    head = slice(solid[0], solid[0] + H // 16)
    luminance = lambda im: im[..., :3].astype(float).mean(axis=2)  # noqa: E731
    changed = np.abs(luminance(light) - luminance(dark)) > 60
    assert changed[head].any() and luminance(light)[head][changed[head]].mean() > 150
    # The base layer at the middle of the torso does not depend on the tone.
    torso = (H // 2 - 10, W // 2)
    assert np.abs(light[torso].astype(int) - dark[torso].astype(int)).max() <= 2


def test_transparent_and_solid_backgrounds(body, front):
    corners = front[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners[:, 3] == 0).all()
    solid = render_body_rgba(**body, skin_tone=5, width=W, height=H, background=(20, 40, 60))
    assert (solid[..., 3] == 255).all()
    assert (solid[[0, 0, -1, -1], [0, -1, 0, -1], :3] == (20, 40, 60)).all()


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp"])
def test_same_inputs_same_bytes(body, fmt):
    first = render_body(**body, skin_tone=7, view="three-quarter", width=W, height=H, fmt=fmt)
    again = render_body(**body, skin_tone=7, view="three-quarter", width=W, height=H, fmt=fmt)
    assert first == again
    assert Image.open(io.BytesIO(first)).size == (W, H)


def test_renderer_serves_many_threads(body):
    jobs = [(tone, view) for tone in (1, 10) for view in ("front", "back", "left", "right")]
    expected = [render_body_rgba(**body, skin_tone=t, view=v, width=W, height=H) for t, v in jobs]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(
            lambda job: render_body_rgba(**body, skin_tone=job[0], view=job[1], width=W, height=H), jobs
        ))
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "size", [(0, 10), (10, 0), (-1, 10), (2049, 10), (10, 4096), (1.5, 10), ("64", 64), (True, 10)]
)
def test_invalid_sizes_are_value_errors(body, size):
    with pytest.raises(ValueError, match="width|height"):
        render_body_rgba(**body, skin_tone=5, width=size[0], height=size[1])
    scene = body_scene(**body, skin_tone=5, azimuth=0.0, aspect=1.0)
    with pytest.raises(ValueError):
        get_renderer().render(scene, *size)


def test_extreme_sizes_render(body):
    assert render_body_rgba(**body, skin_tone=5, width=1, height=1).shape == (1, 1, 4)
    assert render_body_rgba(**body, skin_tone=5, width=200, height=20).shape == (20, 200, 4)


def test_a_view_is_a_name_or_an_azimuth(body):
    named = render_body_rgba(**body, skin_tone=5, view="left", width=W, height=H)
    by_angle = render_body_rgba(**body, skin_tone=5, view=math.pi / 2, width=W, height=H)
    np.testing.assert_array_equal(by_angle, named)


def test_bad_arguments_are_value_errors(body):
    for bad in (
        dict(skin_tone=11),
        dict(skin_tone=5, view="above"),
        dict(skin_tone=5, view=None),
        dict(skin_tone=5, view=float("nan")),
        dict(skin_tone=5, background=(0, 0, 300)),
    ):
        with pytest.raises(ValueError):
            render_body_rgba(**body, **{"width": W, "height": H, **bad})
    with pytest.raises(ValueError):
        render_body(**body, skin_tone=5, fmt="gif")


def test_jpeg_flattens_onto_the_background():
    rgba = np.zeros((32, 32, 4), dtype=np.uint8)
    rgba[8:24, 8:24] = (200, 10, 10, 255)
    jpeg = Image.open(io.BytesIO(encode_image(rgba, "jpeg", background=(0, 0, 255), quality=100)))
    pixels = np.asarray(jpeg.convert("RGB")).astype(int)
    assert pixels[0, 0, 2] > 200 and pixels[0, 0, 0] < 60  # background, not black
    png = np.asarray(Image.open(io.BytesIO(encode_image(rgba, "png"))))
    np.testing.assert_array_equal(png, rgba)  # lossless, alpha kept


def test_framing_keeps_points_inside_with_margin():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 3)) * [0.3, 0.2, 0.5] + [0.1, 0.0, 0.9]
    for azimuth in turntable_views(7):
        pose, znear, zfar = frame_points(points, azimuth, aspect=0.5, yfov=0.5, margin=0.05)
        cam = (points - pose[:3, 3]) @ pose[:3, :3]  # camera frame, looking down -Z
        depth = -cam[:, 2]
        assert (depth > znear).all() and (depth < zfar).all()
        y = cam[:, 1] / depth / math.tan(0.25)  # -1..1 over the image height
        x = cam[:, 0] / depth / math.tan(0.25) / 0.5
        limit_y, limit_x = 1 - 0.1, 1 - 0.1 / 0.5
        assert np.abs(y).max() <= limit_y + 1e-9 and np.abs(x).max() <= limit_x + 1e-9
        # Tight on one axis, centred on both.
        assert max(np.abs(y).max() / limit_y, np.abs(x).max() / limit_x) == pytest.approx(1.0)
        # Exact on the tight axis; on the other, up to the depth spread of its extremes.
        assert y.max() == pytest.approx(-y.min(), rel=0.02) and x.max() == pytest.approx(-x.min(), rel=0.02)


def test_named_views_and_turntable():
    assert VIEWS["front"] == 0.0 and VIEWS["left"] == pytest.approx(math.pi / 2)
    np.testing.assert_allclose(turntable_views(4), [0, math.pi / 2, math.pi, 3 * math.pi / 2])
    with pytest.raises(ValueError):
        turntable_views(0)


def test_normals_point_outwards(body):
    normals = vertex_normals(body["vertices"], body["faces"])
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-5)
    # Torso vertices: the normal points away from the body's vertical axis.
    v = body["vertices"]
    torso = (v[:, 2] > 1.0) & (v[:, 2] < 1.3) & ~body["arm_mask"]
    radial = v[torso, :2] - v[torso, :2].mean(axis=0)
    assert (np.einsum("ij,ij->i", radial, normals[torso, :2]) > 0).mean() > 0.95


def test_clip_mesh_cuts_along_the_level_and_keeps_winding():
    # A unit square of two triangles, facing +Z, cut at x = 0.3.
    vertices = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float)
    faces = np.array([[0, 1, 2], [0, 2, 3]])
    normals = np.tile([0.0, 0.0, 1.0], (4, 1))
    v, n, f = clip_mesh(vertices, normals, faces, vertices[:, 0] - 0.3)
    assert v[:, 0].min() == pytest.approx(0.3)
    cross = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    assert (cross[:, 2] > 0).all()
    assert cross[:, 2].sum() / 2 == pytest.approx(0.7)  # the area kept
