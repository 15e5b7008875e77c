"""The draped scene as USDZ, opened back with USD: stage, meshes, materials, the
package's layout, and the checks USD ships for AR Quick Look's assets."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from pxr import Usd, UsdGeom, UsdShade, UsdValidation

from avatars.avatar import avatar_skin, pose_avatar
from avatars.body_models.registry import get_body_model
from avatars.library import get_avatar
from tryon.render.gltf import gltf_frame
from tryon.core.colour import srgb_to_linear
from tryon.render.usdz import scene_usdz
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, and drapes

# What AR Quick Look reads (the rules of usdchecker --arkit)
ARKIT_PRIM_TYPES = {"Xform", "Scope", "Mesh", "Material", "Shader"}
ARKIT_SHADERS = {"UsdPreviewSurface", "UsdUVTexture", "UsdPrimvarReader_float2"}
ARKIT_FILES = (".usdc", ".png", ".jpg", ".jpeg")


@pytest.fixture(scope="module")
def avatar():
    return get_avatar("f165-eu40")


def _garment_id(name: str) -> str:
    return next(g.id for g in current_garments().list() if g.name == name)


def _open(data: bytes, tmp_path) -> Usd.Stage:
    path = tmp_path / "scene.usdz"
    path.write_bytes(data)
    return Usd.Stage.Open(str(path))  # a package opens as it is


def _check_package(data: bytes) -> list[zipfile.ZipInfo]:
    """The zip's entries, checked as the USDZ spec wants them: the usdc first,
    every file stored (no compression) at a 64-byte aligned offset."""
    entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert entries[0].filename.endswith(".usdc")
    for entry in entries:
        assert entry.compress_type == zipfile.ZIP_STORED, entry.filename
        offset = entry.header_offset + 30 + len(entry.filename.encode()) + len(entry.extra)
        assert offset % 64 == 0, entry.filename
        assert entry.filename.lower().endswith(ARKIT_FILES), entry.filename
    return entries


def _check_stage(stage: Usd.Stage) -> None:
    """Stage metadata, and no error from any validator USD ships (usd-core 26 has
    them in UsdValidation: its ComplianceChecker is gone), nor from the ARKit rules."""
    assert UsdGeom.GetStageUpAxis(stage) == UsdGeom.Tokens.y
    assert UsdGeom.GetStageMetersPerUnit(stage) == 1.0
    assert stage.GetDefaultPrim().GetPath() == "/Scene"
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    assert [e.GetErrorAsString() for e in errors] == []
    prims = list(stage.Traverse())
    assert {p.GetTypeName() for p in prims} <= ARKIT_PRIM_TYPES
    shaders = {UsdShade.Shader(p).GetIdAttr().Get() for p in prims if p.GetTypeName() == "Shader"}
    assert shaders <= ARKIT_SHADERS


def _surface(stage: Usd.Stage, mesh: str) -> UsdShade.Shader:
    binding = UsdShade.MaterialBindingAPI(stage.GetPrimAtPath(f"/Scene/{mesh}"))
    material, _ = binding.ComputeBoundMaterial()
    source = material.GetSurfaceOutput().GetConnectedSources()[0][0]
    return UsdShade.Shader(source.source.GetPrim())


def test_the_skirt_scene_stands_on_the_floor_in_metres_y_up(avatar, tmp_path):
    store = current_garments()
    skirt = _garment_id("A-line skirt")
    data = scene_usdz(avatar, skirt, "M", store)
    # the body's skin texture (the face painted on) beside the stage; the skirt has none
    assert [e.filename.rsplit("/", 1)[-1] for e in _check_package(data)] == ["scene.usdc", "body.png"]
    stage = _open(data, tmp_path)
    _check_stage(stage)
    meshes = {p.GetName(): UsdGeom.Mesh(p) for p in stage.Traverse() if p.GetTypeName() == "Mesh"}
    assert set(meshes) == {"body", "leggings", "tank_top", "garment", "hair"}  # a library body wears its hair
    counts = {name: len(mesh.GetPointsAttr().Get()) for name, mesh in meshes.items()}
    skin_texture = avatar_skin(get_body_model(avatar.sex), avatar)
    assert counts["body"] == len(skin_texture.corner_vertex)  # UV seams split the body's vertices
    assert counts["garment"] == len(store.load_size(skirt, "M").vertices)
    for mesh in meshes.values():
        points = np.asarray(mesh.GetPointsAttr().Get())
        assert len(mesh.GetNormalsAttr().Get()) == len(points)
        assert mesh.GetSubdivisionSchemeAttr().Get() == UsdGeom.Tokens.none
        assert set(mesh.GetFaceVertexCountsAttr().Get()) == {3}
        assert np.allclose(mesh.GetExtentAttr().Get(), [points.min(axis=0), points.max(axis=0)])
    assert meshes["garment"].GetDoubleSidedAttr().Get()
    assert not meshes["body"].GetDoubleSidedAttr().Get()
    bounds = UsdGeom.BBoxCache(Usd.TimeCode.Default(), [UsdGeom.Tokens.default_]).ComputeWorldBound(
        stage.GetPseudoRoot()).ComputeAlignedRange()
    low, high = np.asarray(bounds.GetMin()), np.asarray(bounds.GetMax())
    assert abs(low[1]) < 1e-3 and 1.5 < high[1] < 2.0  # standing on y = 0, 1.5-2 m tall
    # the skirt hangs around the hips, below the body's middle and clear of the floor
    skirt_points = np.asarray(meshes["garment"].GetPointsAttr().Get())
    assert 0.3 < skirt_points[:, 1].min() and skirt_points[:, 1].max() < 0.7 * high[1]
    # the A-pose body of scene_glb, in glTF's frame (facing +Z, as AR Quick Look wants)
    _, posed = pose_avatar(avatar, "a-pose")
    assert np.allclose(meshes["body"].GetPointsAttr().Get(),
                       gltf_frame(posed.vertices[0].numpy()[skin_texture.corner_vertex]))
    assert np.allclose(UsdGeom.PrimvarsAPI(meshes["body"]).GetPrimvar("st").Get(), skin_texture.uvs)
    skin = _surface(stage, "body")
    assert skin.GetIdAttr().Get() == "UsdPreviewSurface"
    assert skin.GetInput("diffuseColor").GetConnectedSources()[0]  # read from the texture
    assert skin.GetInput("metallic").Get() == 0.0
    cloth = _surface(stage, "garment")
    colour = store.load_size(skirt, "M").material.base_color[:3]
    assert np.allclose(cloth.GetInput("diffuseColor").Get(),
                       srgb_to_linear([round(c * 255) for c in colour]), atol=1e-6)
    assert not UsdGeom.PrimvarsAPI(meshes["garment"]).HasPrimvar("st")  # no texture to read


def test_a_printed_colorway_brings_its_texture_into_the_package(avatar, tmp_path):
    store = current_garments()
    dress = _garment_id("Midi dress")
    gingham = store.colorway(dress, "gingham")
    data = scene_usdz(avatar, dress, "M", store, colorway="gingham")
    entries = _check_package(data)
    [texture_entry] = [e for e in entries if e.filename.endswith(".png") and "body" not in e.filename]
    assert zipfile.ZipFile(io.BytesIO(data)).read(texture_entry) == gingham.texture
    stage = _open(data, tmp_path)
    _check_stage(stage)
    garment = UsdGeom.Mesh(stage.GetPrimAtPath("/Scene/garment"))
    st = UsdGeom.PrimvarsAPI(garment).GetPrimvar("st")
    uvs = store.load_size(dress, "M").uvs
    assert st.GetInterpolation() == UsdGeom.Tokens.vertex and np.allclose(st.Get(), uvs, atol=1e-6)
    diffuse = _surface(stage, "garment").GetInput("diffuseColor")
    texture = UsdShade.Shader(diffuse.GetConnectedSources()[0][0].source.GetPrim())
    assert texture.GetIdAttr().Get() == "UsdUVTexture"
    asset = texture.GetInput("file").Get()
    assert asset.path == texture_entry.filename and "[" in asset.resolvedPath  # inside the package
    assert texture.GetInput("wrapS").Get() == "repeat"
    reader = UsdShade.Shader(texture.GetInput("st").GetConnectedSources()[0][0].source.GetPrim())
    assert reader.GetInput("varname").Get() == "st"
