"""A twin next to her scan, from the same cameras, with how far apart they are.

The studio's check of a new twin: front and back, the scan as it was
captured (its points drawn as small discs in their own colours) beside the
twin as renders show her (her texture, the base outfit, lit), both in the
scan's pose so the two line up. The colour error is measured on unlit
renders (each surface its own colour, as a scan's colours are): the mean
CIEDE2000 difference over the pixels both cover. The shape error is the
scan-to-twin surface distance the capture measured
(``avatars.appearance.capture``). Metres; sRGB 0-255.
"""

from __future__ import annotations

import math

import numpy as np

from avatars.appearance.skin_texture import SkinTexture
from avatars.body_models.base import BodyModel
from tryon.core.colour import delta_e_2000
from tryon.core.geometry import vertex_normals
from tryon.render.platform import pyrender
from tryon.render.renderer import get_renderer
from tryon.render.scene import body_mesh, body_scene
from tryon.render.try_on import caption
from tryon.render.views import DEFAULT_YFOV, camera_axes, frame_points

SPLAT_RADIUS_M = 0.006  # a scan point's disc: a little over the spacing of 100,000 points on a body
BACKGROUND = (255, 255, 255)
AZIMUTHS = (0.0, math.pi)  # front, back


def twin_preview(model: BodyModel, vertices: np.ndarray, joints: np.ndarray, skin: SkinTexture | None,
                 tone: int, points: np.ndarray, colours: np.ndarray | None, surface_mm: dict | None,
                 width: int = 256, height: int = 384) -> tuple[np.ndarray, dict]:
    """((height * 13 / 12, 4 * width, 4) uint8 RGBA, figures): scan and twin, front then
    back, under a caption with the figures.

    vertices: (V, 3) the twin posed as scanned, in the model's frame (facing
    -Y, feet on z = 0); joints: (J, 3) likewise; skin: her texture; tone: her
    Monk tone; points: (N, 3) the scan in the same frame; colours: (N, 3)
    uint8 or None; surface_mm: the capture's distance percentiles, or None.
    figures: {"colour_delta_e": mean CIEDE2000 on pixels both cover (None
    without colours), "surface_mm": surface_mm}.
    """
    vertices, points = np.asarray(vertices, np.float32), np.asarray(points, np.float32)
    shown = np.tile(np.uint8([150, 150, 150]), (len(points), 1)) if colours is None else colours
    renderer, aspect = get_renderer(), width / height
    panels, differences = [], []
    for azimuth in AZIMUTHS:
        camera = frame_points(np.concatenate([vertices, points]), azimuth, aspect)
        scan = _scan_scene(points, shown, azimuth, camera, aspect)
        twin = body_scene(vertices, model.faces, joints, model.landmarks, model.arm_vertex_mask(), tone,
                          azimuth, aspect, BACKGROUND, camera=camera, skin=skin)
        panels += [renderer.render(scan, width, height, flat=True), renderer.render(twin, width, height)]
        if colours is not None:
            unlit = _lens_scene(camera, aspect)
            unlit.add(body_mesh(vertices, vertex_normals(vertices, np.asarray(model.faces)),
                                np.asarray(model.faces), tone, skin))
            flat_twin = renderer.render(unlit, width, height, flat=True)
            both = (panels[-2][..., 3] > 0) & (flat_twin[..., 3] > 0)
            differences.append(delta_e_2000(panels[-2][both][:, :3], flat_twin[both][:, :3]))
    colour_error = round(float(np.concatenate(differences).mean()), 2) if differences else None
    figures = {"colour_delta_e": colour_error, "surface_mm": surface_mm}
    image = np.concatenate([_opaque(p) for p in panels], axis=1)
    band = np.full((height // 12, image.shape[1], 4), 255, np.uint8)  # the caption's room
    return caption(np.concatenate([band, image]), _caption_text(figures)), figures


def _caption_text(figures: dict) -> str:
    parts = ["scan | twin, front and back."]
    if figures["colour_delta_e"] is not None:
        parts.append(f"colour: CIEDE2000 {figures['colour_delta_e']:.1f} mean.")
    if figures["surface_mm"]:
        parts.append(f"surface: {figures['surface_mm']['mean']:.1f} mm mean, "
                     f"{figures['surface_mm']['p95']:.1f} mm 95th percentile.")
    return " ".join(parts)


def _scan_scene(points, colours, azimuth, camera, aspect) -> pyrender.Scene:
    """The scan's points as discs facing the camera (a triangle each), in their colours,
    on a transparent background (its alpha: where the scan is)."""
    right, up, _ = camera_axes(azimuth)
    corners = [SPLAT_RADIUS_M * (math.cos(a) * right + math.sin(a) * up)
               for a in np.radians([90.0, 210.0, 330.0])]
    positions = (points[:, None, :] + np.asarray(corners, np.float32)[None]).reshape(-1, 3)
    rgba = np.column_stack([np.repeat(colours, 3, axis=0), np.full(len(positions), 255, np.uint8)])
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=[1.0, 1.0, 1.0, 1.0], doubleSided=True)
    primitive = pyrender.Primitive(positions=positions, color_0=rgba / 255.0,
                                   indices=np.arange(len(positions)).reshape(-1, 3), material=material)
    scene = _lens_scene(camera, aspect)
    scene.add(pyrender.Mesh([primitive], name="scan"))
    return scene


def _lens_scene(camera, aspect) -> pyrender.Scene:
    """An empty scene, transparent, with ``camera`` (pose, znear, zfar)."""
    pose, znear, zfar = camera
    scene = pyrender.Scene(bg_color=[0.0, 0.0, 0.0, 0.0])
    scene.add(pyrender.PerspectiveCamera(yfov=DEFAULT_YFOV, znear=znear, zfar=zfar, aspectRatio=aspect),
              pose=pose)
    return scene


def _opaque(rgba: np.ndarray) -> np.ndarray:
    """``rgba`` over white."""
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    out = rgba.astype(np.float32)
    out[..., :3] = out[..., :3] * alpha + 255.0 * (1.0 - alpha)
    out[..., 3] = 255.0
    return out.astype(np.uint8)
