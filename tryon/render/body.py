"""Render a posed body in its base layer: one call from body-model output to image.

Same inputs, same pixels: the scene is built from the inputs alone and the
renderer is deterministic on a given machine and GL driver, so renders can
be cached by a hash of the inputs (and the renderer version).
"""

from __future__ import annotations

import numpy as np

from avatars.appearance.skin_texture import SkinTexture
from tryon.render.encoding import encode_image
from tryon.render.params import check_format, check_size
from tryon.render.renderer import get_renderer
from tryon.render.scene import GarmentLayer, body_scene
from tryon.render.views import resolve_view


def _array(x, dtype) -> np.ndarray:
    """A numpy array of a numpy array or a (CPU or GPU, maybe grad-tracking) torch tensor."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=dtype)


def check_background(background) -> tuple[int, int, int] | None:
    """An sRGB background as three ints 0-255, or None (transparent); ValueError otherwise."""
    if background is None:
        return None
    rgb = tuple(background)
    if len(rgb) != 3 or not all(isinstance(c, (int, np.integer)) and 0 <= c <= 255 for c in rgb):
        raise ValueError(f"background must be None or three integers 0-255, got {background!r}")
    return tuple(int(c) for c in rgb)


def render_body_rgba(
    vertices,
    faces,
    joints,
    landmarks: dict[str, int],
    arm_mask,
    skin_tone: int,
    view: str | float = "front",
    width: int = 512,
    height: int = 768,
    background: tuple[int, int, int] | None = None,
    garments: tuple[GarmentLayer, ...] = (),
    skin: SkinTexture | None = None,
) -> np.ndarray:
    """(height, width, 4) uint8 straight RGBA render of one body.

    vertices: (V, 3) posed vertices, metres, in the body-model frame (Z-up,
        facing -Y, feet on z = 0); numpy or torch.
    faces: (F, 3) triangle indices. joints: (J, 3) joint positions, metres.
    landmarks: landmark name -> joint index (``BodyModel.landmarks``).
    arm_mask: (V,) bool, True on the arms (``BodyModel.arm_vertex_mask()``).
    skin_tone: Monk Skin Tone 1-10.
    view: a name from ``tryon.render.views.VIEWS`` or a camera azimuth in radians.
    background: sRGB 0-255, or None for transparent.
    garments: draped garments worn over the base outfit.
    skin: the skin's texture with the face painted on (``avatars.appearance.skin_texture``), or None.
    Raises ValueError on a bad size, view, tone, background or array shape.
    """
    width, height = check_size(width, height)
    azimuth = resolve_view(view)
    background = check_background(background)
    vertices = _array(vertices, np.float32)
    faces = _array(faces, np.int64)
    joints = _array(joints, np.float32)
    arm_mask = _array(arm_mask, bool)
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise ValueError(f"vertices must be (V, 3), got {vertices.shape}")
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise ValueError(f"faces must be (F, 3), got {faces.shape}")
    if arm_mask.shape != (len(vertices),):
        raise ValueError(f"arm_mask must be ({len(vertices)},), got {arm_mask.shape}")
    scene = body_scene(
        vertices, faces, joints, landmarks, arm_mask, skin_tone, azimuth, width / height, background,
        tuple(garments), skin=skin,
    )
    return get_renderer().render(scene, width, height)


def render_body(
    vertices,
    faces,
    joints,
    landmarks: dict[str, int],
    arm_mask,
    skin_tone: int,
    view: str | float = "front",
    width: int = 512,
    height: int = 768,
    background: tuple[int, int, int] | None = None,
    fmt: str = "png",
    garments: tuple[GarmentLayer, ...] = (),
    skin: SkinTexture | None = None,
) -> bytes:
    """``render_body_rgba`` encoded as ``fmt`` ('png', 'jpeg' or 'webp') bytes.

    JPEG has no alpha: a transparent render is flattened onto white.
    """
    fmt = check_format(fmt)  # fail before rendering
    rgba = render_body_rgba(
        vertices, faces, joints, landmarks, arm_mask, skin_tone, view, width, height, background,
        garments, skin,
    )
    return encode_image(rgba, fmt, background=background)
