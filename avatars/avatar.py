"""Avatars: bodies described as a size chart describes people, solved once.

An ``AvatarSpec`` says who a body is (sex, height, girths, build, age, skin
tone); ``solve_avatars`` turns specs into ``Avatar``s (the body model's shape
parameters plus measured measurements) once per body model and caches them in
the data directory, so the same specs work on anny and on SMPL-X.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import torch

from avatars.appearance.captured import Appearance
from avatars.appearance.displacement import displace
from avatars.appearance.skin_texture import SkinTexture, skin_texture
from avatars.body_models.base import BodyModel, BodyOutput
from avatars.body_models.registry import backend_name, get_body_model
from avatars.from_measurements import BodyDescription, solve_body
from avatars.hair.styles import DEFAULT_HAIR
from tryon.core.files import atomic_write
from tryon.core.settings import data_dir, log_progress


@dataclass(frozen=True)
class AvatarSpec:
    id: str
    label: str
    description: BodyDescription
    skin_tone: int  # Monk Skin Tone 1-10


@dataclass(frozen=True)
class Avatar:
    """A body ready to dress: shape (S,) parameters of its sex's body model,
    measurements in centimetres (ISO 8559-1 names); hair and hair_colour: a
    style and colour of ``avatars.hair.styles``, or None (no hair: a twin,
    whose own hair is in her captured appearance); appearance: a twin's
    captured skin colours and surface detail (``avatars.appearance.captured``),
    or None for a body drawn in its ``skin_tone``."""

    id: str
    label: str
    sex: str
    age_years: float
    build: str
    skin_tone: int
    shape: tuple[float, ...]
    measurements: dict[str, float | None]
    hair: str | None = None
    hair_colour: str | None = None
    appearance: Appearance | None = None

    @property
    def height_cm(self) -> float:
        return self.measurements["stature"]

    def summary(self) -> dict:
        """JSON-ready description (what ``tryon avatars --json`` prints)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name not in ("shape", "appearance")}
        return {**data, "measurements": dict(self.measurements), "height_cm": self.height_cm}


def spec(id, label, sex, height, chest, waist, hips, build, age, tone) -> AvatarSpec:
    description = BodyDescription(
        height=height, chest=chest, waist=waist, hips=hips, sex=sex, build=build, age_years=age
    )
    return AvatarSpec(id=id, label=label, description=description, skin_tone=tone)


def _solve(entry: AvatarSpec) -> Avatar:
    d = entry.description
    solved = solve_body(d, get_body_model(d.sex))
    return Avatar(
        id=entry.id, label=entry.label, sex=d.sex, age_years=d.age_years, build=d.build,
        skin_tone=entry.skin_tone, shape=tuple(round(float(x), 6) for x in solved.shape),
        measurements=solved.measurements.as_dict(),
    )


def avatar_from_measurements(measurements: dict, skin_tone: int) -> tuple[Avatar, dict[str, float]]:
    """A shopper's body: (the avatar, solved minus given cm for each given measurement).

    ``measurements``: ``BodyDescription``'s fields (cm; sex, build, age_years).
    The id, ``m-`` and a hash of the measurements, the skin tone and the body
    model, is the same for the same body, so storing it twice stores it once.
    Raises ``MeasurementError`` (``Invalid``, with the field) when no body fits.
    """
    description = BodyDescription(**measurements)
    model = get_body_model(description.sex)
    avatar_id = "m-" + hashlib.sha256(json.dumps(
        [sorted(measurements.items()), skin_tone, model.cache_key], default=str).encode()
    ).hexdigest()[:16]
    solved = solve_body(description, model)
    avatar = Avatar(id=avatar_id, label=f"Body from measurements, {description.height:g} cm",
                    sex=description.sex, age_years=description.age_years,
                    build=description.build, skin_tone=skin_tone,
                    shape=tuple(round(float(x), 6) for x in solved.shape),
                    measurements=solved.measurements.as_dict(),
                    hair=DEFAULT_HAIR[description.sex][0], hair_colour=DEFAULT_HAIR[description.sex][1])
    return avatar, solved.errors_cm


def solve_avatars(name: str, specs: list[AvatarSpec], log=log_progress) -> list[Avatar]:
    """Solve ``specs`` for the active body model once; cached under ``name``."""
    path = data_dir() / "avatars" / f"{name}-{backend_name()}-{get_body_model().cache_key}.json"
    if path.exists():
        return [Avatar(**{**a, "shape": tuple(a["shape"])}) for a in json.loads(path.read_text())]
    log(f"Solving the {len(specs)} {name} bodies for {backend_name()} (one time) ...")
    avatars = []
    for i, entry in enumerate(specs, 1):
        avatars.append(_solve(entry))
        log(f"  [{i}/{len(specs)}] {entry.id}")
    atomic_write(path, json.dumps([asdict(a) for a in avatars], indent=1))
    return avatars


def avatar_shape(avatar: Avatar) -> torch.Tensor:
    """(S,) float32 shape parameters of an avatar."""
    return torch.tensor(avatar.shape, dtype=torch.float32)


@torch.no_grad()
def pose_avatar(avatar: Avatar, pose: str = "a-pose"):
    """(body model, BodyOutput of batch 1) of an avatar in a named pose."""
    model = get_body_model(avatar.sex)
    return model, pose_body(model, avatar, model.named_pose(pose))


@torch.no_grad()
def pose_body(model: BodyModel, avatar: Avatar, poses: torch.Tensor) -> BodyOutput:
    """``model.forward`` of ``avatar`` in ``poses`` ((J, 3) or (B, J, 3) axis-angle),
    with a twin's displacement on its vertices: the bodies drawn and moved. (A
    drape's body, ``garments.body_regions.posed_geometry``, and the animated GLB's
    skinned rest mesh, ``tryon.render.gltf_motion``, displace theirs the same way.)"""
    out = model.forward(avatar_shape(avatar), poses)
    displacement = avatar_displacement(model, avatar)
    return out if displacement is None else replace(out, vertices=displace(model, out, displacement))


def avatar_surface(avatar: Avatar) -> tuple[str, ...]:
    """What a cache of draped or posed bodies is keyed by beyond the shape: the digest
    of a twin's captured appearance (its displacement), none for other bodies."""
    return () if avatar.appearance is None else (avatar.appearance.digest,)


def avatar_displacement(model: BodyModel, avatar: Avatar) -> np.ndarray | None:
    """(V,) metres along the normals: a twin's captured surface detail, or None."""
    return None if avatar.appearance is None else avatar.appearance.load().displacement(model)


def avatar_skin(model: BodyModel, avatar: Avatar) -> SkinTexture | None:
    """The texture ``avatar`` is drawn in: a twin's captured colours, else the
    painted skin of its tone (None for a model without UVs)."""
    if avatar.appearance is None:
        return skin_texture(model, avatar.skin_tone)
    return avatar.appearance.load().skin(model, avatar.skin_tone)
