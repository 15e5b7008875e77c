"""Colorways as KHR_materials_variants and fabric sheen as KHR_materials_sheen, in a GLB
that trimesh wrote: what a glTF viewer reads back."""

from __future__ import annotations

import io

import numpy as np
import pygltflib
import pytest
import trimesh
from PIL import Image

from garments.colorways import parse_colorways
from garments.ingest.materials import Material
from tryon.render.gltf_looks import SHEEN, VARIANTS, add_garment_looks


def _glb() -> bytes:
    """A scene as tryon's GLB export makes it: a body, and a textured garment mesh."""
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.icosphere(), node_name="body", geom_name="body")
    cloth = trimesh.creation.cylinder(radius=1.1, height=1.0)
    uvs = np.random.default_rng(0).uniform(-3.0, 3.0, (len(cloth.vertices), 2))  # pattern space
    cloth.visual = trimesh.visual.TextureVisuals(
        uv=uvs, material=trimesh.visual.material.PBRMaterial(baseColorFactor=[0.5, 0.5, 0.5, 1.0],
                                                             roughnessFactor=0.8))
    scene.add_geometry(cloth, node_name="garment", geom_name="garment")
    return scene.export(file_type="glb")


def _png(rgb) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _image_bytes(gltf: pygltflib.GLTF2, texture_index: int) -> bytes:
    view = gltf.bufferViews[gltf.images[gltf.textures[texture_index].source].bufferView]
    return gltf.binary_blob()[view.byteOffset:view.byteOffset + view.byteLength]


def test_colorways_become_variants_mapped_to_the_garment_with_their_textures():
    texture = _png((200, 30, 40))
    colorways = parse_colorways(
        [{"name": "Navy", "color": "#1f2a44"}, {"name": "Print", "texture": "p.png"},
         {"name": "Wine velvet", "color": "#5a0a1e", "fabric": "velvet"}], {"p.png": texture})
    glb = add_garment_looks(_glb(), "garment", Material(roughness=0.8), "woven-cotton", colorways)

    gltf = pygltflib.GLTF2.load_from_bytes(glb)
    assert gltf.extensions[VARIANTS] == {"variants": [{"name": "Navy"}, {"name": "Print"},
                                                      {"name": "Wine velvet"}]}
    assert set(gltf.extensionsUsed) == {VARIANTS, SHEEN}
    garment = next(m for m in gltf.meshes if m.name == "garment").primitives[0]
    body = next(m for m in gltf.meshes if m.name == "body").primitives[0]
    assert not (body.extensions or {}).get(VARIANTS)  # only the garment changes
    mappings = garment.extensions[VARIANTS]["mappings"]
    assert [m["variants"] for m in mappings] == [[0], [1], [2]]
    navy, printed, velvet = (gltf.materials[m["material"]] for m in mappings)
    assert [navy.name, printed.name, velvet.name] == ["Navy", "Print", "Wine velvet"]
    # linear factors, as glTF wants them: sRGB 0x1f = 31 -> 0.0137
    assert navy.pbrMetallicRoughness.baseColorFactor[0] == pytest.approx(0.0137, abs=1e-3)
    assert _image_bytes(gltf, printed.pbrMetallicRoughness.baseColorTexture.index) == texture
    assert printed.pbrMetallicRoughness.baseColorFactor == [1.0, 1.0, 1.0, 1.0]
    sheen = velvet.extensions[SHEEN]
    assert sheen["sheenRoughnessFactor"] > 0 and sheen["sheenColorFactor"][0] > \
        sheen["sheenColorFactor"][1]  # a lighter shade of wine, not white
    assert SHEEN not in (navy.extensions or {})  # woven cotton has no sheen
    # the garment as uploaded stays the default look, and the file still loads everywhere
    assert garment.material not in [m["material"] for m in mappings]
    reloaded = trimesh.load(io.BytesIO(glb), file_type="glb")
    assert {"body", "garment"} <= set(reloaded.geometry)


def test_a_knit_garment_has_sheen_without_colorways_and_no_variants():
    glb = add_garment_looks(_glb(), "garment", Material(base_color=(0.6, 0.1, 0.1, 1.0)), "knit", [])
    gltf = pygltflib.GLTF2.load_from_bytes(glb)
    garment = next(m for m in gltf.meshes if m.name == "garment").primitives[0]
    assert SHEEN in gltf.materials[garment.material].extensions
    assert gltf.extensionsUsed == [SHEEN] and VARIANTS not in (gltf.extensions or {})

