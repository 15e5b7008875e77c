"""A garment's surface look: base colour, roughness and an optional texture.

Read from what the file carries: an MTL's ``Kd``/``Ns``/``Pr``/``map_Kd``,
a glTF's metallic-roughness material, or a PLY's vertex colours.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image
from trimesh.visual import ColorVisuals
from trimesh.visual.material import PBRMaterial, SimpleMaterial

DEFAULT_COLOR = (0.8, 0.8, 0.8, 1.0)
DEFAULT_ROUGHNESS = 0.8  # woven and knitted cloth is mostly matte
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tga", ".tif", ".tiff")


@dataclass(frozen=True)
class Material:
    """base_color: RGBA in [0, 1] as the file gives it; roughness in [0, 1]
    (0 mirror, 1 matte); texture: an encoded image (PNG or JPEG bytes) or
    None; texture_name: the name the file used for it, for display only."""

    name: str = "default"
    base_color: tuple[float, float, float, float] = DEFAULT_COLOR
    roughness: float = DEFAULT_ROUGHNESS
    texture: bytes | None = None
    texture_name: str | None = None

    def as_dict(self) -> dict:
        """JSON-ready description; the texture is reported, not embedded."""
        return {
            "name": self.name, "base_color": list(self.base_color), "roughness": self.roughness,
            "texture_name": self.texture_name, "has_texture": self.texture is not None,
        }

    @classmethod
    def from_dict(cls, data: Mapping, texture: bytes | None = None) -> Material:
        return cls(name=data["name"], base_color=tuple(data["base_color"]),
                   roughness=float(data["roughness"]), texture=texture,
                   texture_name=data.get("texture_name"))


def material_from_visual(visual, files: Mapping[str, bytes]) -> Material:
    """The Material of a trimesh visual.

    files: companion files read with the mesh, by base name, so a texture
    keeps its original bytes rather than being re-encoded.
    """
    if isinstance(visual, ColorVisuals):
        if visual.kind is None:
            return Material()
        return Material(name="vertex colours", base_color=_rgba(visual.main_color))
    material = getattr(visual, "material", None)
    if isinstance(material, PBRMaterial):
        roughness = 1.0 if material.roughnessFactor is None else material.roughnessFactor
        color = (DEFAULT_COLOR if material.baseColorFactor is None
                 else _rgba(material.baseColorFactor))
        texture, name = _texture(material.baseColorTexture, files, embedded=True)
        return Material(name=material.name or "material", base_color=color,
                        roughness=float(roughness), texture=texture, texture_name=name)
    if isinstance(material, SimpleMaterial):
        if not material.kwargs and _placeholder(material.image):
            return Material()  # UVs without an MTL: trimesh's stand-in, nothing from the file
        # Only an MTL sets Kd; otherwise trimesh's diffuse is its placeholder grey.
        color = _rgba(material.diffuse) if "kd" in material.kwargs else DEFAULT_COLOR
        texture, name = _texture(material.image, files, embedded=False)
        return Material(name=material.name or "material", base_color=color,
                        roughness=_mtl_roughness(material.kwargs), texture=texture,
                        texture_name=name)
    return Material()


def _placeholder(image: Image.Image | None) -> bool:
    """trimesh's one-colour stand-in image, not one read from a file."""
    return image is not None and "file_path" not in image.info


def _rgba(color) -> tuple[float, float, float, float]:
    """trimesh keeps colours as uint8 RGBA; tryon as floats in [0, 1]."""
    values = np.asarray(color, dtype=np.float64).reshape(-1)
    if values.size == 3:
        values = np.append(values, 255.0)
    return tuple(float(v) for v in np.clip(values[:4] / 255.0, 0.0, 1.0))


def _mtl_roughness(keys: Mapping) -> float:
    """``Pr`` (the PBR extension) if given, else from the ``Ns`` specular
    exponent as Blender's importer does: roughness = 1 - sqrt(Ns / 1000)."""
    try:
        if "pr" in keys:
            return float(np.clip(float(np.ravel(keys["pr"])[0]), 0.0, 1.0))
        if "ns" in keys:
            return float(np.clip(1.0 - np.sqrt(float(np.ravel(keys["ns"])[0]) / 1000.0), 0.0, 1.0))
    except (TypeError, ValueError):
        pass  # a malformed value: the look falls back to cloth's default
    return DEFAULT_ROUGHNESS


def _texture(image: Image.Image | None, files: Mapping[str, bytes],
             embedded: bool) -> tuple[bytes | None, str | None]:
    """(encoded bytes, name) of a texture image.

    A texture read from a file keeps that file's bytes. An OBJ or PLY texture
    must come from a file: without one, trimesh's image is its own grey
    placeholder. A glTF image (embedded) is re-encoded as PNG.
    """
    if image is None:
        return None, None
    name = image.info.get("file_path")
    base = str(name).replace("\\", "/").rsplit("/", 1)[-1] if name else None
    if base is None and not embedded:
        images = [n for n in files if n.lower().endswith(_IMAGE_SUFFIXES)]
        base = images[0] if len(images) == 1 else None  # a PLY's TextureFile
    if base in files:
        return files[base], base
    if not embedded:
        return None, None
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), base
