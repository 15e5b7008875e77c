"""Chooses the body model backend: anny by default, SMPL-X on request.

``TRYON_BODY_MODEL=smplx`` with ``TRYON_SMPLX_DIR`` pointing at licensed
``SMPLX_{NEUTRAL,MALE,FEMALE}.npz`` files selects SMPL-X. Models are loaded
once per process.
"""

from __future__ import annotations

import functools
import os

from avatars.body_model import BodyModel

BACKENDS = ("anny", "smplx")
SEXES = ("female", "male", "neutral")


def backend_name() -> str:
    name = os.environ.get("TRYON_BODY_MODEL", "anny").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"TRYON_BODY_MODEL={name!r} is not one of {', '.join(BACKENDS)}")
    return name


@functools.cache
def _load(name: str, sex: str) -> BodyModel:
    if name == "anny":
        from avatars.anny_model import AnnyBodyModel, prepare_anny

        # One model for every sex (gender is a shape parameter); prepared on first use.
        return AnnyBodyModel(prepare_anny())
    from avatars.smplx_model import SmplxBodyModel

    return SmplxBodyModel(os.environ.get("TRYON_SMPLX_DIR", ""), sex)


def get_body_model(sex: str = "neutral") -> BodyModel:
    """The active backend's model for ``sex`` (female, male or neutral)."""
    if sex not in SEXES:
        raise ValueError(f"sex must be one of {', '.join(SEXES)}, got {sex!r}")
    name = backend_name()
    return _load(name, "neutral" if name == "anny" else sex)
