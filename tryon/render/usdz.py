"""The draped scene as USDZ: body, base outfit and garment, for iOS AR Quick Look.

The scene ``tryon.render.gltf.scene_glb`` makes (the body in the A-pose with
its skin texture, the leggings and tank top, the garment draped on them),
written with Pixar's USD (``usd-core``): a Y-up stage in metres, the body
facing +Z and standing on y = 0 (``gltf_frame``: AR Quick Look puts a
model's y = 0 on the floor and its +Z towards the viewer), one
UsdPreviewSurface material per mesh with linear colours as glTF's, smooth
vertex normals, and the body's and the garment's UVs as the ``st`` primvar
with their textures (the garment's if it has one) inside the package. ``UsdUtils`` packs the stage
and texture as AR Quick Look wants: one binary (usdc) layer, and a zip that
stores every file uncompressed at a 64-byte aligned offset.

pxr is imported at the top: this module already needs torch (the body
model) and the drape, so only job processes import it, inside a task, as
they import ``scene_glb`` (``tryon.outputs.tasks``).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pxr import Gf, Kind, Sdf, Usd, UsdGeom, UsdShade, UsdUtils, Vt

from avatars.avatar import avatar_skin, pose_avatar
from avatars.skin_tones import skin_rgb
from garments.base_outfit import BASE_ROUGHNESS, base_outfit
from garments.colorways import TEXTURE_FORMATS
from garments.ingest.textures import limit_pillow
from garments.store import GarmentStore
from tryon.core.colour import srgb_to_linear
from tryon.drape.draping import cached_drape
from tryon.render.gltf import gltf_frame
from tryon.render.hair import hair_layer
from tryon.core.geometry import vertex_normals
from tryon.render.scene import SKIN_ROUGHNESS, GarmentLayer

USDZ_MEDIA_TYPE = "model/vnd.usdz+zip"
ROOT = "/Scene"  # the default prim: AR Quick Look shows what is under it


@dataclass(frozen=True)
class _Part:
    """One mesh of the scene. vertices, normals: (N, 3) float32 in glTF's frame,
    metres; faces: (F, 3) int, counter-clockwise from outside; rgb: (3,) linear
    in [0, 1]; uvs: (N, 2) with v up (USD's and OBJ's convention) or None;
    texture: PNG or JPEG bytes, or None."""

    name: str
    vertices: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    rgb: np.ndarray
    roughness: float
    uvs: np.ndarray | None = None
    texture: bytes | None = None
    double_sided: bool = False


def scene_usdz(avatar, garment_id: str | None, size: str | None,
               store: GarmentStore | None = None, *, colorway: str | None = None) -> bytes:
    """The avatar (A-pose) in the base outfit, and the garment draped on it if one
    is given, as a USDZ package for AR Quick Look (Y up, metres, facing +Z).

    colorway: the id of one of the garment's colorways to show it in (AR
    Quick Look offers no choice of material variants); None: as uploaded.
    Raises TypeError for a garment without its store.
    """
    parts = _scene_parts(avatar, garment_id, size, store, colorway)
    with tempfile.TemporaryDirectory(prefix="tryon-usdz-") as folder:
        root = Path(folder, "scene.usdc")
        stage = Usd.Stage.CreateNew(str(root))
        UsdGeom.SetStageUpAxis(stage, UsdGeom.Tokens.y)
        UsdGeom.SetStageMetersPerUnit(stage, UsdGeom.LinearUnits.meters)
        scene = UsdGeom.Xform.Define(stage, ROOT).GetPrim()
        Usd.ModelAPI(scene).SetKind(Kind.Tokens.component)  # one placeable model
        stage.SetDefaultPrim(scene)
        UsdGeom.Scope.Define(stage, f"{ROOT}/Materials")
        for part in parts:
            _add_part(stage, part, Path(folder))
        stage.GetRootLayer().Save()
        package = Path(folder, "scene.usdz")
        if not UsdUtils.CreateNewARKitUsdzPackage(Sdf.AssetPath(str(root)), str(package)):
            raise RuntimeError("UsdUtils could not package the USDZ")
        return package.read_bytes()


def _scene_parts(avatar, garment_id, size, store, colorway) -> list[_Part]:
    """The body, the base outfit and the draped garment, as ``scene_glb`` shows them."""
    model, body = pose_avatar(avatar, "a-pose")
    vertices, faces = body.vertices[0].numpy().astype(np.float64), np.asarray(model.faces)
    normals = vertex_normals(vertices, faces)
    skin = avatar_skin(model, avatar)
    if skin is None:
        parts = [_Part("body", gltf_frame(vertices), gltf_frame(normals), faces,
                       srgb_to_linear(skin_rgb(avatar.skin_tone)), SKIN_ROUGHNESS)]
    else:  # the face painted on (or a twin's own colours), as the GLB; UV seams split vertices
        split = skin.corner_vertex
        parts = [_Part("body", gltf_frame(vertices[split]), gltf_frame(normals[split]), skin.uv_faces,
                       np.ones(3), SKIN_ROUGHNESS, uvs=skin.uvs, texture=_png(skin.image))]
    outfit = base_outfit(vertices, normals, faces, body.joints[0].numpy(), model.landmarks,
                         model.arm_vertex_mask())
    for name, (v, n, f, rgb) in zip(("leggings", "tank_top"), outfit):
        parts.append(_Part(name, gltf_frame(v), gltf_frame(n), f, srgb_to_linear(rgb), BASE_ROUGHNESS))
    if garment_id is None:
        return parts + _hair_parts(model, vertices, avatar, ())
    if store is None:
        raise TypeError("a garment is draped from its store: pass store")
    drape = cached_drape(avatar, garment_id, size, "a-pose", store=store)
    mesh, material = drape.mesh, drape.mesh.material
    if colorway is not None:
        material = store.colorway(garment_id, colorway).material(material)
    # smooth across UV seams: normals of the welded (physics) mesh, carried to the render mesh
    normals = vertex_normals(drape.positions.astype(np.float64), drape.faces)[mesh.render_to_physics]
    textured = material.texture is not None and mesh.uvs is not None
    rgb = (np.ones(3) if textured  # the texture carries the colour, as in the GLB
           else srgb_to_linear([round(c * 255) for c in material.base_color[:3]]))
    parts.append(_Part("garment", gltf_frame(drape.render_positions), gltf_frame(normals),
                       np.asarray(mesh.faces), rgb, float(material.roughness),
                       uvs=mesh.uvs, texture=material.texture if textured else None,
                       double_sided=True))
    worn = (GarmentLayer(drape.render_positions, np.asarray(mesh.faces), (0, 0, 0)),)
    return parts + _hair_parts(model, vertices, avatar, worn)


def _png(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


def _hair_parts(model, vertices, avatar, worn) -> list[_Part]:
    """The avatar's hair (none for a twin), in its mean colour: Quick Look has no vertex colours."""
    hair = hair_layer(model, vertices, avatar, worn)
    if hair is None:
        return []
    rgb = srgb_to_linear([int(c) for c in np.asarray(hair.vertex_rgb).mean(axis=0)])
    return [_Part("hair", gltf_frame(hair.vertices), gltf_frame(vertex_normals(hair.vertices, hair.faces)),
                  hair.faces, rgb, hair.roughness, double_sided=True)]


def _add_part(stage: Usd.Stage, part: _Part, folder: Path) -> None:
    """Define ``part`` as a mesh under the root, with its material bound."""
    mesh = UsdGeom.Mesh.Define(stage, f"{ROOT}/{part.name}")
    points = np.ascontiguousarray(part.vertices, dtype=np.float32)
    mesh.CreatePointsAttr(Vt.Vec3fArray.FromNumpy(points))
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray.FromNumpy(np.full(len(part.faces), 3, np.int32)))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(
        np.ascontiguousarray(part.faces, dtype=np.int32).ravel()))
    mesh.CreateNormalsAttr(Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(part.normals, np.float32)))
    mesh.SetNormalsInterpolation(UsdGeom.Tokens.vertex)
    mesh.CreateExtentAttr(Vt.Vec3fArray([Gf.Vec3f(*map(float, points.min(axis=0))),
                                         Gf.Vec3f(*map(float, points.max(axis=0)))]))
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)  # triangles as they are, not a limit surface
    mesh.CreateDoubleSidedAttr(part.double_sided)
    material = UsdShade.Material.Define(stage, f"{ROOT}/Materials/{part.name}")
    surface = UsdShade.Shader.Define(stage, f"{material.GetPath()}/surface")
    surface.CreateIdAttr("UsdPreviewSurface")
    surface.CreateInput("roughness", Sdf.ValueTypeNames.Float).Set(part.roughness)
    surface.CreateInput("metallic", Sdf.ValueTypeNames.Float).Set(0.0)
    diffuse = surface.CreateInput("diffuseColor", Sdf.ValueTypeNames.Color3f)
    diffuse.Set(Gf.Vec3f(*map(float, part.rgb)))
    if part.texture is not None:
        primvar = UsdGeom.PrimvarsAPI(mesh).CreatePrimvar(
            "st", Sdf.ValueTypeNames.TexCoord2fArray, UsdGeom.Tokens.vertex)
        primvar.Set(Vt.Vec2fArray.FromNumpy(np.ascontiguousarray(part.uvs[:, :2], np.float32)))
        diffuse.ConnectToSource(_texture(stage, material, part, folder).ConnectableAPI(), "rgb")
    material.CreateSurfaceOutput().ConnectToSource(surface.ConnectableAPI(), "surface")
    UsdShade.MaterialBindingAPI.Apply(mesh.GetPrim()).Bind(material)


def _texture(stage: Usd.Stage, material: UsdShade.Material, part: _Part,
             folder: Path) -> UsdShade.Shader:
    """A UsdUVTexture of ``part``'s texture, written under ``folder``, read at its ``st``."""
    data, suffix = _viewer_image(part.texture)
    name = f"textures/{part.name}{suffix}"
    Path(folder, name).parent.mkdir(exist_ok=True)
    Path(folder, name).write_bytes(data)
    reader = UsdShade.Shader.Define(stage, f"{material.GetPath()}/st_reader")
    reader.CreateIdAttr("UsdPrimvarReader_float2")
    reader.CreateInput("varname", Sdf.ValueTypeNames.String).Set("st")
    reader.CreateOutput("result", Sdf.ValueTypeNames.Float2)
    texture = UsdShade.Shader.Define(stage, f"{material.GetPath()}/texture")
    texture.CreateIdAttr("UsdUVTexture")
    texture.CreateInput("file", Sdf.ValueTypeNames.Asset).Set(Sdf.AssetPath(name))
    texture.CreateInput("st", Sdf.ValueTypeNames.Float2).ConnectToSource(
        reader.ConnectableAPI(), "result")
    for wrap in ("wrapS", "wrapT"):  # UVs in pattern space run past 0-1
        texture.CreateInput(wrap, Sdf.ValueTypeNames.Token).Set("repeat")
    texture.CreateInput("sourceColorSpace", Sdf.ValueTypeNames.Token).Set("sRGB")
    texture.CreateOutput("rgb", Sdf.ValueTypeNames.Float3)
    return texture


def _viewer_image(data: bytes) -> tuple[bytes, str]:
    """(bytes, suffix) of a texture as AR Quick Look reads it: PNG and JPEG as they
    are; any other format (an OBJ's BMP or TGA, say) re-encoded as PNG."""
    limit_pillow()  # stored textures were measured at import; decode no more than that
    with Image.open(io.BytesIO(data)) as image:
        if image.format in TEXTURE_FORMATS:
            return data, TEXTURE_FORMATS[image.format]
        buffer = io.BytesIO()
        image.convert("RGBA" if "A" in image.getbands() else "RGB").save(buffer, format="PNG")
    return buffer.getvalue(), ".png"
