"""A twin's captured appearance: her skin's colours and her surface's detail, from her scan.

``CapturedAppearance`` holds the arrays (a texture in the body model's UV
layout, ``avatars.appearance.bake``; a displacement along the normals,
``avatars.appearance.displacement``) and their bytes as stored (sealed, by
``tryon.twins.lifecycle``). An ``Avatar`` carries an ``Appearance``: the
stored bytes' digest and a way to read them, so an avatar is compared,
hashed and keyed by the digest and the arrays are read only where a body is
posed or drawn, once per process and digest.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from avatars.appearance.skin_texture import SkinTexture, skin_texture
from avatars.body_models.base import BodyModel

KEPT = 4  # appearances decoded and kept per process (about 3 MB each)


class AppearanceError(ValueError):
    """Stored appearance bytes that do not fit the body model they are drawn on."""


@dataclass(frozen=True, eq=False)
class CapturedAppearance:
    """texture: (S, S, 3) uint8 sRGB in the model's UV layout (``SkinTexture.image``),
    or None when the scan had no colours; displacement_m: (V,) float32 metres along
    the rest normals (``avatars.appearance.displacement``), or None; model: the
    body model's name they were captured on."""

    model: str
    texture: np.ndarray | None
    displacement_m: np.ndarray | None
    # one SkinTexture per model and tone: renders upload a texture once per object
    _skins: dict = field(default_factory=dict, compare=False, repr=False)

    def to_bytes(self) -> bytes:
        """The arrays as a compressed ``.npz``."""
        arrays = {"model": np.array(self.model)}
        if self.texture is not None:
            arrays["texture"] = np.asarray(self.texture, np.uint8)
        if self.displacement_m is not None:
            arrays["displacement_m"] = np.asarray(self.displacement_m, np.float32)
        out = io.BytesIO()
        np.savez_compressed(out, **arrays)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CapturedAppearance:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(str(arrays["model"]), arrays["texture"] if "texture" in arrays else None,
                       arrays["displacement_m"] if "displacement_m" in arrays else None)

    def skin(self, model: BodyModel, tone: int) -> SkinTexture | None:
        """Her texture on ``model``'s layout (the painted skin of ``tone`` without one)."""
        painted = skin_texture(model, tone)
        if self.texture is None or painted is None:
            return painted
        self._check(model)
        if self.texture.shape != painted.image.shape:
            raise AppearanceError(f"a {self.texture.shape} texture on a {painted.image.shape} layout")
        key = (id(model), tone)
        if key not in self._skins:
            self._skins[key] = SkinTexture(painted.uvs, painted.uv_faces, painted.corner_vertex, self.texture)
        return self._skins[key]

    def displacement(self, model: BodyModel) -> np.ndarray | None:
        """(V,) metres for ``model``'s vertices, or None."""
        self._check(model)
        if self.displacement_m is not None and len(self.displacement_m) != model.vertex_count:
            raise AppearanceError(f"a displacement of {len(self.displacement_m)} vertices on "
                                  f"{model.name}'s {model.vertex_count}")
        return self.displacement_m


    def _check(self, model: BodyModel) -> None:
        if model.name != self.model:
            raise AppearanceError(f"an appearance captured on {self.model} drawn on {model.name}")


@dataclass(frozen=True)
class Appearance:
    """An avatar's captured appearance by reference: ``digest`` (sha256 of the stored
    bytes) names it; ``read`` returns those bytes (e.g. unsealed from a blob store)."""

    digest: str
    read: Callable[[], bytes] = field(compare=False, repr=False)

    def load(self) -> CapturedAppearance:
        """The arrays, read and checked against the digest once per process."""
        with _lock:
            found = _kept.get(self.digest)
            if found is not None:
                _kept.move_to_end(self.digest)
                return found
        data = self.read()
        if hashlib.sha256(data).hexdigest() != self.digest:
            raise AppearanceError("the stored appearance does not match its digest")
        loaded = CapturedAppearance.from_bytes(data)
        with _lock:
            _kept[self.digest] = loaded
            while len(_kept) > KEPT:
                _kept.popitem(last=False)
        return loaded


_kept: OrderedDict[str, CapturedAppearance] = OrderedDict()
_lock = threading.Lock()


def appearance_digest(data: bytes) -> str:
    """The digest an ``Appearance`` of stored ``data`` carries."""
    return hashlib.sha256(data).hexdigest()
