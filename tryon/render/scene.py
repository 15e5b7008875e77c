"""The studio scene a body is shown in: skin, base layer, lights, floor shadow.

Everything is in the body model's frame: metres, Z-up, the body faces -Y and
stands on z = 0. Lights follow the camera, so every view is lit like the
front one. pyrender's shader works in linear RGB and applies a 1/2.2 gamma
on output, so colours given here in sRGB are linearised first.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image
from scipy import ndimage

from avatars.appearance.skin_texture import SkinTexture
from avatars.skin_tones import skin_rgb
from tryon.core.colour import srgb_to_linear
from garments.base_outfit import BASE_ROUGHNESS, base_outfit
from garments.ingest.textures import limit_pillow
from tryon.core.geometry import vertex_normals
from tryon.render.platform import pyrender
from tryon.render.views import DEFAULT_YFOV, camera_axes, frame_points

GLTF = pyrender.constants.GLTF

SKIN_ROUGHNESS = 0.55
# (azimuth from the camera towards its right, elevation) radians, intensity:
# a warm key from the upper left, a cool, weaker fill from the right, and a
# rim behind the body that outlines it, which dark skin needs to read.
KEY_LIGHT = (math.radians(-40), math.radians(35), 2.6, (1.0, 0.97, 0.92))
FILL_LIGHT = (math.radians(50), math.radians(10), 1.1, (0.92, 0.96, 1.0))
RIM_LIGHT = (math.radians(150), math.radians(35), 2.2, (1.0, 1.0, 1.0))
LIGHTS = {"key": KEY_LIGHT, "fill": FILL_LIGHT, "rim": RIM_LIGHT}
AMBIENT = 0.25
SHADOW_CELL = 0.01  # metres per shadow-texture texel
SHADOW_PAD = 0.12  # metres of floor around the footprint the shadow fades into


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _material(rgb: tuple[int, int, int], roughness: float) -> pyrender.MetallicRoughnessMaterial:
    return pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[*srgb_to_linear(rgb), 1.0], metallicFactor=0.0, roughnessFactor=roughness
    )


def body_mesh(vertices: np.ndarray, normals: np.ndarray, faces: np.ndarray, skin_tone: int,
              skin: SkinTexture | None = None) -> pyrender.Mesh:
    """The skin: vertices (V, 3) metres, normals (V, 3), faces (F, 3); Monk tone 1-10;
    ``skin``: its texture (the face painted on), or None for the flat tone."""
    material = _material(skin_rgb(skin_tone), SKIN_ROUGHNESS)
    if skin is None:
        return pyrender.Mesh([pyrender.Primitive(positions=vertices, normals=normals, indices=faces,
                                                 material=material)], name="body")
    corner_vertex = skin.corner_vertex  # UV seams split vertices
    material.baseColorFactor = [1.0, 1.0, 1.0, 1.0]
    material.baseColorTexture = _skin_texture(skin)
    primitive = pyrender.Primitive(positions=vertices[corner_vertex], normals=normals[corner_vertex],
                                   texcoord_0=skin.uvs, indices=skin.uv_faces, material=material)
    return pyrender.Mesh([primitive], name="body")


@lru_cache(maxsize=24)
def _skin_texture(skin: SkinTexture) -> pyrender.Texture:
    """One pyrender texture per skin texture: pyrender keeps a texture on the
    GPU while consecutive scenes hold the same object, so a skin is uploaded
    once, not with every render (3 MB: a fifth of a 512x768 render's time)."""
    return pyrender.Texture(source=skin.image, source_channels="RGB")


def base_outfit_meshes(vertices, normals, faces, joints, landmarks, arm_mask) -> list[pyrender.Mesh]:
    """The base outfit (``garments.base_outfit``) as matte pyrender meshes."""
    return [
        pyrender.Mesh([pyrender.Primitive(positions=v, normals=n, indices=f,
                                          material=_material(rgb, BASE_ROUGHNESS))], name="base-outfit")
        for v, n, f, rgb in base_outfit(vertices, normals, faces, joints, landmarks, arm_mask)
    ]


def contact_shadow(vertices: np.ndarray, opaque_background: bool) -> tuple[pyrender.Mesh, np.ndarray]:
    """A soft shadow on the floor under the feet, as an alpha-blended quad.

    vertices: (V, 3) metres, feet on z = 0. The shadow darkens the floor
    where the body is close to it: a tight, dark core at the contact and a
    broad, faint penumbra. Returns the mesh and its (4, 3) corners (metres),
    which the camera must keep in view.
    """
    low = vertices[vertices[:, 2] < 0.25]
    x0, y0 = low[:, :2].min(axis=0) - SHADOW_PAD
    x1, y1 = low[:, :2].max(axis=0) + SHADOW_PAD
    nx, ny = int(math.ceil((x1 - x0) / SHADOW_CELL)), int(math.ceil((y1 - y0) / SHADOW_CELL))
    ix = ((low[:, 0] - x0) / SHADOW_CELL).astype(np.int64).clip(0, nx - 1)
    iy = ((low[:, 1] - y0) / SHADOW_CELL).astype(np.int64).clip(0, ny - 1)
    # Nearness to the floor; max, not sum, so dense mesh regions weigh no more.
    near = np.zeros((ny, nx))
    np.maximum.at(near, (iy, ix), np.exp(-low[:, 2] / 0.04))
    near = ndimage.maximum_filter(near, size=3)  # close the gaps between vertices
    core = ndimage.gaussian_filter(near, 1.5)
    penumbra = ndimage.gaussian_filter(near, 4.0)
    alpha = 0.55 * core / max(core.max(), 1e-6) + 0.3 * penumbra / max(penumbra.max(), 1e-6)
    # Fade to exactly nothing at the quad's edges, so it never shows a border.
    fade_x = _smoothstep(0.0, SHADOW_PAD / 2, np.minimum(np.arange(nx), np.arange(nx)[::-1]) * SHADOW_CELL)
    fade_y = _smoothstep(0.0, SHADOW_PAD / 2, np.minimum(np.arange(ny), np.arange(ny)[::-1]) * SHADOW_CELL)
    alpha = np.clip(alpha * fade_y[:, None] * fade_x[None, :], 0.0, 1.0)
    if not opaque_background:
        # pyrender blends alpha with the same SRC_ALPHA factor as colour, so
        # over a transparent background the stored alpha is a^2.
        alpha = np.sqrt(alpha)
    texture = np.zeros((ny, nx, 4), dtype=np.uint8)
    texture[..., 3] = np.round(alpha * 255)
    z = -0.001  # just under the soles, so the feet never z-fight the floor
    corners = np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]])
    # pyrender uploads textures bottom row first: texel row r sits at v = 1 - r / ny.
    uv = np.array([[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    material = pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[1.0, 1.0, 1.0, 1.0],
        baseColorTexture=pyrender.Texture(
            source=texture, source_channels="RGBA",
            sampler=pyrender.Sampler(
                magFilter=GLTF.LINEAR, minFilter=GLTF.LINEAR,
                wrapS=GLTF.CLAMP_TO_EDGE, wrapT=GLTF.CLAMP_TO_EDGE,
            ),
        ),
        alphaMode="BLEND",
    )
    primitive = pyrender.Primitive(
        positions=corners.astype(np.float32),
        normals=np.tile([0.0, 0.0, 1.0], (4, 1)).astype(np.float32),
        texcoord_0=uv.astype(np.float32),
        # Vertex colour multiplies the shaded result: black, so no light or
        # specular ever brightens the shadow, whatever the lights do.
        color_0=np.tile([0.0, 0.0, 0.0, 1.0], (4, 1)).astype(np.float32),
        indices=np.array([[0, 1, 2], [0, 2, 3]]),
        material=material,
    )
    return pyrender.Mesh([primitive], name="contact-shadow"), corners


def _light_pose(camera_azimuth: float, offset: float, elevation: float) -> np.ndarray:
    """(4, 4) pose of a directional light shining towards the body from the given side."""
    right, up, forward = camera_axes(camera_azimuth)
    towards_light = math.cos(elevation) * (
        math.cos(offset) * -forward + math.sin(offset) * right
    ) + math.sin(elevation) * up
    z = towards_light / np.linalg.norm(towards_light)  # pyrender lights shine down -Z
    x = np.cross(up, z)
    x = x / np.linalg.norm(x)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, np.cross(z, x), z
    return pose


@dataclass(frozen=True)
class GarmentLayer:
    """A draped garment to show.

    vertices: (N, 3) metres; faces: (F, 3); rgb: sRGB 0-255 base colour;
    roughness: 0-1; vertex_rgb: (N, 3) uint8 sRGB colours that replace the
    base colour (the fit map) or None; uvs: (N, 2) with texture: encoded
    image bytes, or None.
    """

    vertices: np.ndarray
    faces: np.ndarray
    rgb: tuple[int, int, int]
    roughness: float = 0.85
    vertex_rgb: np.ndarray | None = None
    uvs: np.ndarray | None = None
    texture: bytes | None = None


def garment_mesh(layer: GarmentLayer) -> pyrender.Mesh:
    """A garment as a double-sided pyrender mesh (its inside shows at openings)."""
    vertices = np.asarray(layer.vertices, dtype=np.float32)
    faces = np.asarray(layer.faces, dtype=np.int64)
    material = pyrender.MetallicRoughnessMaterial(
        baseColorFactor=[*srgb_to_linear(layer.rgb), 1.0], metallicFactor=0.0,
        roughnessFactor=layer.roughness, doubleSided=True,
    )
    colours = None
    if layer.vertex_rgb is not None:
        material.baseColorFactor = [1.0, 1.0, 1.0, 1.0]
        colours = np.column_stack([srgb_to_linear(layer.vertex_rgb), np.ones(len(vertices))])
    elif layer.texture is not None and layer.uvs is not None:
        limit_pillow()  # stored textures were measured at import; decode no more than that
        image = np.asarray(Image.open(io.BytesIO(layer.texture)).convert("RGB"))
        material.baseColorFactor = [1.0, 1.0, 1.0, 1.0]
        material.baseColorTexture = pyrender.Texture(source=image, source_channels="RGB")
    primitive = pyrender.Primitive(
        positions=vertices, normals=vertex_normals(vertices, faces), indices=faces,
        color_0=colours, material=material,
        texcoord_0=None if layer.uvs is None or colours is not None else np.asarray(layer.uvs, np.float32),
    )
    return pyrender.Mesh([primitive], name="garment")


def body_scene(
    vertices: np.ndarray,
    faces: np.ndarray,
    joints: np.ndarray,
    landmarks: dict[str, int],
    arm_mask: np.ndarray,
    skin_tone: int,
    azimuth: float,
    aspect: float,
    background: tuple[int, int, int] | None = None,
    garments: tuple[GarmentLayer, ...] = (),
    camera: tuple[np.ndarray, float, float] | None = None,
    skin: SkinTexture | None = None,
) -> pyrender.Scene:
    """A lit scene of one body, dressed in the base outfit and ``garments``,
    with its camera, ready to render.

    vertices: (V, 3) metres; faces: (F, 3); joints: (J, 3) metres;
    landmarks: name -> joint index; arm_mask: (V,) bool; skin_tone: Monk 1-10;
    azimuth: camera azimuth, radians (``tryon.render.views``); aspect: width / height;
    background: sRGB 0-255, or None for a transparent background;
    camera: (pose (4, 4), znear, zfar) to use (a clip's one framing,
    ``tryon.render.views.clip_framing``); None frames this body alone;
    skin: the skin's texture (``avatars.appearance.skin_texture``), or None for the flat tone.
    """
    vertices = np.asarray(vertices, dtype=np.float32)
    faces = np.asarray(faces, dtype=np.int64)
    joints = np.asarray(joints, dtype=np.float32)
    arm_mask = np.asarray(arm_mask, dtype=bool)
    normals = vertex_normals(vertices, faces)
    # glClearColor writes the colour as is, so sRGB values stay sRGB.
    bg = [0.0, 0.0, 0.0, 0.0] if background is None else [c / 255 for c in background] + [1.0]
    scene = pyrender.Scene(bg_color=bg, ambient_light=[AMBIENT] * 3)
    scene.add(body_mesh(vertices, normals, faces, skin_tone, skin))
    for mesh in base_outfit_meshes(vertices, normals, faces, joints, landmarks, arm_mask):
        scene.add(mesh)
    for layer in garments:
        scene.add(garment_mesh(layer))
    shadow, shadow_corners = contact_shadow(vertices, opaque_background=background is not None)
    scene.add(shadow)
    if camera is None:
        framed = [vertices, shadow_corners] + [np.asarray(g.vertices, np.float32) for g in garments]
        camera = frame_points(np.concatenate(framed), azimuth, aspect)
    pose, znear, zfar = camera
    lens = pyrender.PerspectiveCamera(yfov=DEFAULT_YFOV, znear=znear, zfar=zfar, aspectRatio=aspect)
    scene.add(lens, pose=pose)
    for name, (offset, elevation, intensity, colour) in LIGHTS.items():
        scene.add(pyrender.DirectionalLight(color=colour, intensity=intensity),
                  pose=_light_pose(azimuth, offset, elevation), name=name)
    return scene


def aim(scene: pyrender.Scene, azimuth: float, pose: np.ndarray) -> None:
    """Move a ``body_scene``'s camera to ``pose`` (4, 4) at ``azimuth`` radians,
    its lights with it: a turntable renders one scene from every side."""
    scene.set_pose(scene.main_camera_node, pose)
    for node in scene.directional_light_nodes:
        offset, elevation, _, _ = LIGHTS[node.name]
        scene.set_pose(node, _light_pose(azimuth, offset, elevation))
