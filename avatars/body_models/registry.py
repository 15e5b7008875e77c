"""Chooses the body model backend: anny by default, SMPL-X on request.

``TRYON_BODY_MODEL=smplx`` with ``TRYON_SMPLX_DIR`` pointing at licensed
``SMPLX_{NEUTRAL,MALE,FEMALE}.npz`` files selects SMPL-X. Models are loaded
once per process.
"""

from __future__ import annotations

import functools

from avatars.body_models.anny_model import AnnyBodyModel, prepare_anny
from avatars.body_models.base import BodyModel
from tryon.core.settings import settings

BACKENDS = ("anny", "smplx")
SEXES = ("female", "male", "neutral")


def backend_name() -> str:
    name = settings().body_model
    if name not in BACKENDS:
        raise ValueError(f"TRYON_BODY_MODEL={name!r} is not one of {', '.join(BACKENDS)}")
    return name


@functools.cache
def _load(name: str, sex: str) -> BodyModel:
    if name == "anny":

        # One model for every sex (gender is a shape parameter); prepared on first use.
        return AnnyBodyModel(prepare_anny())
    # smplx (non-commercial licence, an optional extra): imported only when chosen
    from avatars.body_models.smplx_model import SmplxBodyModel

    return SmplxBodyModel(settings().smplx_dir, sex)


def get_body_model(sex: str = "neutral") -> BodyModel:
    """The active backend's model for ``sex`` (female, male or neutral)."""
    if sex not in SEXES:
        raise ValueError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    name = backend_name()
    return _load(name, "neutral" if name == "anny" else sex)
