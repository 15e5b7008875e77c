"""A garment's looks in its GLB: colorways as ``KHR_materials_variants``, and the
soft rim light of knits and velvet as ``KHR_materials_sheen``.

trimesh writes the scene with the garment in the look it was uploaded in;
it knows neither extension, so the GLB is edited after export (pygltflib):
one material per colorway, each colorway a variant mapped to the garment's
primitive, and sheen on every garment material whose fabric has it. Viewers
that know the extensions (model-viewer, three.js, Babylon.js, Blender) offer
the colorways; others show the garment as uploaded.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygltflib

from garments.colorways import Colorway
from garments.fabrics import LOOKS
from garments.ingest.materials import Material
from tryon.core.colour import srgb_to_linear

VARIANTS = "KHR_materials_variants"
SHEEN = "KHR_materials_sheen"
_MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg"}


def add_garment_looks(glb: bytes, mesh_name: str, material: Material, fabric: str,
                      colorways: Sequence[Colorway]) -> bytes:
    """``glb`` with the looks of the garment mesh called ``mesh_name``.

    material: the garment's own (as uploaded, already in the GLB); fabric:
    its fabric preset, whose look gives sheen; colorways: become variants
    named as the colorways, in order, each with its own fabric's look (the
    garment's when it has none).
    """
    gltf = pygltflib.GLTF2.load_from_bytes(glb)
    primitive = next(m for m in gltf.meshes if m.name == mesh_name).primitives[0]
    used = set(gltf.extensionsUsed or [])
    if _add_sheen(gltf.materials[primitive.material], material, fabric):
        used.add(SHEEN)
    if colorways:
        blob = bytearray(gltf.binary_blob() or b"")
        mappings = []
        for number, colorway in enumerate(colorways):
            look = colorway.material(material)
            gltf.materials.append(_gltf_material(gltf, blob, colorway, look))
            if _add_sheen(gltf.materials[-1], look, colorway.fabric or fabric):
                used.add(SHEEN)
            mappings.append({"material": len(gltf.materials) - 1, "variants": [number]})
        primitive.extensions = {**(primitive.extensions or {}), VARIANTS: {"mappings": mappings}}
        gltf.extensions = {**(gltf.extensions or {}),
                           VARIANTS: {"variants": [{"name": c.name} for c in colorways]}}
        used.add(VARIANTS)
        gltf.buffers[0].byteLength = len(blob)
        gltf.set_binary_blob(bytes(blob))
    gltf.extensionsUsed = sorted(used)
    return b"".join(gltf.save_to_bytes())


def _gltf_material(gltf: pygltflib.GLTF2, blob: bytearray, colorway: Colorway,
                   look: Material) -> pygltflib.Material:
    """A colorway's glTF material; its texture, if any, appended to ``blob``."""
    pbr = pygltflib.PbrMetallicRoughness(
        baseColorFactor=[*map(float, srgb_to_linear([round(c * 255) for c in look.base_color[:3]])),
                         1.0],
        metallicFactor=0.0, roughnessFactor=float(look.roughness))
    if look.texture is not None:
        pbr.baseColorTexture = pygltflib.TextureInfo(
            index=_add_texture(gltf, blob, look.texture, _MIME_TYPES[colorway.texture_suffix]))
    return pygltflib.Material(name=colorway.name, pbrMetallicRoughness=pbr, doubleSided=True)


def _add_texture(gltf: pygltflib.GLTF2, blob: bytearray, data: bytes, mime_type: str) -> int:
    """Append an encoded image to the binary chunk; return its texture's index."""
    blob.extend(b"\0" * (-len(blob) % 4))  # glTF aligns buffer views to 4 bytes
    gltf.bufferViews.append(pygltflib.BufferView(buffer=0, byteOffset=len(blob),
                                                 byteLength=len(data)))
    blob.extend(data)
    gltf.images.append(pygltflib.Image(bufferView=len(gltf.bufferViews) - 1, mimeType=mime_type))
    if not gltf.samplers:  # repeat: UVs in pattern space run past 0-1
        gltf.samplers.append(pygltflib.Sampler(magFilter=9729, minFilter=9987,
                                               wrapS=10497, wrapT=10497))
    gltf.textures.append(pygltflib.Texture(source=len(gltf.images) - 1, sampler=0))
    return len(gltf.textures) - 1


def _add_sheen(target: pygltflib.Material, look: Material, fabric: str) -> bool:
    """Give ``target`` the fabric's sheen, if it has one; True if it did.

    The sheen colour is the square root of the linear base colour, scaled by
    the fabric's sheen: velvet's rim reads as a lighter shade of its colour.
    """
    fabric_look = LOOKS[fabric]
    if fabric_look.sheen <= 0.0:
        return False
    base = srgb_to_linear([round(c * 255) for c in look.base_color[:3]])
    target.extensions = {**(target.extensions or {}), SHEEN: {
        "sheenColorFactor": [float(fabric_look.sheen * c ** 0.5) for c in base],
        "sheenRoughnessFactor": fabric_look.sheen_roughness}}
    return True
