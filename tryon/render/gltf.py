"""The draped scene as glTF binary (GLB): body, base outfit and garment, for live 3D.

glTF's frame is Y up, metres, the body facing +Z (towards a viewer's default
camera); tryon's is Z up, facing -Y. Colours are linear, as glTF wants them.
The export itself is trimesh's; the garment's colorways and sheen are added
after it (``tryon.render.gltf_looks``).
"""

from __future__ import annotations

import io

import numpy as np
import trimesh
from PIL import Image

from avatars.appearance.skin_texture import SkinTexture
from avatars.avatar import avatar_skin, pose_avatar
from avatars.skin_tones import skin_rgb
from garments.base_outfit import BASE_ROUGHNESS, base_outfit
from garments.ingest.textures import limit_pillow
from garments.store import GarmentStore
from tryon.core.colour import srgb_to_linear
from tryon.drape.draping import cached_drape
from tryon.render.gltf_looks import add_garment_looks
from tryon.render.hair import hair_layer
from tryon.core.geometry import vertex_normals
from tryon.render.scene import SKIN_ROUGHNESS, GarmentLayer

GLB_MEDIA_TYPE = "model/gltf-binary"


def scene_glb(avatar, garment_id: str | None, size: str | None,
              store: GarmentStore | None = None) -> bytes:
    """The avatar (A-pose) in the base outfit, and the garment draped on it if one
    is given, as one GLB in glTF's frame (Y up, metres, the body facing +Z).

    The body carries its skin texture (``avatars.appearance``) and its hair; the garment its UVs and base colour
    (its texture too, when it has one), its colorways as material variants
    and its fabric's sheen.
    """
    model, body = pose_avatar(avatar, "a-pose")
    scene = trimesh.Scene()
    vertices, faces = body.vertices[0].numpy().astype(np.float64), np.asarray(model.faces)
    skin = avatar_skin(model, avatar)
    if skin is None:
        body_mesh = trimesh.Trimesh(gltf_frame(vertices), faces, process=False)
        body_mesh.visual = matte(skin_rgb(avatar.skin_tone), SKIN_ROUGHNESS)
    else:  # the face painted on, as the renders show it; normals of the whole body, smooth over UV seams
        normals = vertex_normals(vertices, faces)[skin.corner_vertex]
        body_mesh = trimesh.Trimesh(gltf_frame(vertices[skin.corner_vertex]), skin.uv_faces, process=False,
                                    vertex_normals=gltf_frame(normals), visual=skin_visual(skin))
    scene.add_geometry(body_mesh, node_name="body", geom_name="body")
    # the leggings and tank top every 2D render shows, so 3D matches it
    outfit = base_outfit(vertices, vertex_normals(vertices, faces), faces,
                         body.joints[0].numpy(), model.landmarks, model.arm_vertex_mask())
    for name, (v, n, f, rgb) in zip(("leggings", "tank-top"), outfit):
        # normals given, or glTF viewers shade flat
        piece = trimesh.Trimesh(gltf_frame(v), f, process=False, vertex_normals=gltf_frame(n))
        piece.visual = matte(rgb, BASE_ROUGHNESS)
        scene.add_geometry(piece, node_name=name, geom_name=name)
    worn = ()
    if garment_id is not None:
        if store is None:
            raise TypeError("a garment is draped from its store: pass store")
        drape = cached_drape(avatar, garment_id, size, "a-pose", store=store)
        cloth_faces = np.asarray(drape.mesh.faces)
        cloth = trimesh.Trimesh(gltf_frame(drape.render_positions), cloth_faces, process=False,
                                vertex_normals=gltf_frame(vertex_normals(drape.render_positions, cloth_faces)),
                                visual=garment_visual(drape.mesh))
        scene.add_geometry(cloth, node_name="garment", geom_name="garment")
        worn = (GarmentLayer(drape.render_positions, cloth_faces, (0, 0, 0)),)
    hair = hair_layer(model, vertices, avatar, worn)
    if hair is not None:
        rgb = tuple(int(c) for c in np.asarray(hair.vertex_rgb).mean(axis=0))
        strands = trimesh.Trimesh(gltf_frame(hair.vertices), hair.faces, process=False,
                                  vertex_normals=gltf_frame(vertex_normals(hair.vertices, hair.faces)),
                                  visual=matte(rgb, hair.roughness, double_sided=True))
        scene.add_geometry(strands, node_name="hair", geom_name="hair")
    if garment_id is None:
        return scene.export(file_type="glb")
    return add_garment_looks(scene.export(file_type="glb"), "garment", drape.mesh.material,
                             store.get(garment_id).fabric, store.colorways(garment_id))


def matte(rgb, roughness: float, double_sided: bool = False) -> trimesh.visual.TextureVisuals:
    """A plain material of sRGB ``rgb`` (0-255), linear as glTF wants it, and ``roughness``."""
    return trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
        baseColorFactor=[*srgb_to_linear(rgb), 1.0], metallicFactor=0.0, roughnessFactor=roughness,
        doubleSided=double_sided))


def skin_visual(skin: SkinTexture) -> trimesh.visual.TextureVisuals:
    """A body's skin texture as a material (the image sRGB, as glTF's base colour textures are)."""
    return trimesh.visual.TextureVisuals(uv=skin.uvs, material=trimesh.visual.material.PBRMaterial(
        baseColorTexture=Image.fromarray(skin.image), metallicFactor=0.0, roughnessFactor=SKIN_ROUGHNESS))


def garment_visual(mesh) -> trimesh.visual.TextureVisuals:
    """A ``GarmentMesh``'s material: its base colour (linear: the renderer reads it as
    sRGB) or its texture, its UVs, roughness, double-sided."""
    material = mesh.material
    rgba = [*srgb_to_linear([round(c * 255) for c in material.base_color[:3]]), 1.0]
    limit_pillow()  # stored textures were measured at import; decode no more than that
    texture = (Image.open(io.BytesIO(material.texture)).convert("RGB")
               if material.texture is not None else None)
    pbr = trimesh.visual.material.PBRMaterial(
        baseColorFactor=[1.0, 1.0, 1.0, 1.0] if texture is not None else rgba,
        baseColorTexture=texture, metallicFactor=0.0, roughnessFactor=float(material.roughness),
        doubleSided=True)
    return trimesh.visual.TextureVisuals(uv=mesh.uvs, material=pbr)


def gltf_frame(vertices) -> np.ndarray:
    """(N, 3) float32: points in tryon's frame (Z up, the body facing -Y) in glTF's
    (Y up, the body facing +Z, towards a viewer's default camera); metres."""
    v = np.asarray(vertices, np.float32)
    return np.stack([v[:, 0], v[:, 2], -v[:, 1]], axis=1)
