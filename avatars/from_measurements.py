"""A body from a shopper's measurements.

Height plus any of chest (bust), waist, hip girth and inseam, with sex, age
and build hints, solved for the body model's shape parameters by bounded
least squares: damped Gauss-Newton, its Jacobian from finite differences
evaluated as one batched forward pass and then kept current by Broyden
updates (girths are nearly linear in the shape parameters, so most steps
cost one body). Each residual is a measurement error in centimetres, plus a
weak pull towards the described body so that unspecified measurements stay
typical for it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from avatars.body_models.base import BUILDS, BodyModel
from avatars.measurements import Measurements, measure_shapes
from tryon.core.errors import Invalid

# Accepted ranges, centimetres: an adult's body the model can represent.
LIMITS_CM = {
    "height": (145.0, 205.0),
    "chest": (70.0, 150.0),
    "waist": (55.0, 140.0),
    "hips": (75.0, 150.0),
    "inseam": (60.0, 100.0),
}
TOLERANCE_CM = 1.0
_FIELD = {"height": "stature", "chest": "chest_girth", "waist": "waist_girth",
          "hips": "hip_girth", "inseam": "inseam"}
_PRIOR_WEIGHT_CM = 0.5  # residual (cm) of moving a parameter by one unit
_STEP = 0.01  # finite-difference step in parameter units
_DONE_CM = 0.05  # stop once every measurement is this close
_MAX_ITERATIONS = 20


class MeasurementError(Invalid):
    """Measurements outside what a body can have, or that no body matches;
    ``field`` names the measurement (``age_years`` for the age)."""


@dataclass(frozen=True)
class BodyDescription:
    """What a shopper tells about their body. Lengths in centimetres."""

    height: float
    chest: float | None = None
    waist: float | None = None
    hips: float | None = None
    inseam: float | None = None
    sex: str = "neutral"
    build: str = "average"
    age_years: float | None = None

    def targets(self) -> dict[str, float]:
        """The given measurements, validated against ``LIMITS_CM``."""
        given = {k: getattr(self, k) for k in LIMITS_CM if getattr(self, k) is not None}
        for name, value in given.items():
            low, high = LIMITS_CM[name]
            if not isinstance(value, (int, float)) or not np.isfinite(value):
                raise MeasurementError(f"{name} must be a number of centimetres, got {value!r}",
                                       name)
            if not low <= value <= high:
                raise MeasurementError(
                    f"{name} {value:g} cm is outside the supported range {low:g}-{high:g} cm", name
                )
        if self.sex not in ("female", "male", "neutral"):
            raise MeasurementError(f"sex must be female, male or neutral, got {self.sex!r}", "sex")
        if self.build not in BUILDS:
            raise MeasurementError(f"build must be one of {', '.join(BUILDS)}, got {self.build!r}",
                                   "build")
        if self.age_years is not None and not 18 <= self.age_years <= 90:
            raise MeasurementError(f"age must be 18-90 years, got {self.age_years!r}", "age_years")
        return given


@dataclass(frozen=True)
class SolvedBody:
    """shape: (S,) parameters; measurements: of the solved body;
    errors_cm: solved minus given, for each given measurement."""

    shape: torch.Tensor
    measurements: Measurements
    errors_cm: dict[str, float]


def solve_body(description: BodyDescription, model: BodyModel) -> SolvedBody:
    """The body of ``model`` that has the described measurements.

    Raises MeasurementError when a measurement is out of range or when no
    body of the model matches them all within ``TOLERANCE_CM``.
    """
    targets = description.targets()
    space = model.shape_space(description.sex, description.age_years, description.build)
    free = torch.nonzero(space.free).flatten()
    breasts = description.sex == "female"
    names = list(targets)
    goal = np.array([targets[n] for n in names])

    def shapes_for(x_batch: np.ndarray) -> torch.Tensor:
        shapes = space.start.repeat(len(x_batch), 1)
        shapes[:, free] = torch.as_tensor(x_batch, dtype=torch.float32)
        return shapes

    def residuals_batch(x_batch: np.ndarray) -> np.ndarray:
        measured = measure_shapes(model, shapes_for(x_batch), breasts)
        errors = np.array([[getattr(m, _FIELD[n]) for n in names] for m in measured]) - goal
        prior = _PRIOR_WEIGHT_CM * (x_batch - space.start[free].numpy())
        return np.concatenate([errors, prior], axis=1)

    low, high = space.low[free].numpy(), space.high[free].numpy()
    x = _gauss_newton(residuals_batch, space.start[free].numpy().astype(np.float64),
                      low, high, len(names))
    shape = shapes_for(x[None])[0]
    measurements = measure_shapes(model, shape[None], breasts)[0]
    errors = {n: round(getattr(measurements, _FIELD[n]) - targets[n], 2) for n in names}
    missed = [n for n, e in errors.items() if abs(e) > TOLERANCE_CM]
    if missed:
        misses = [f"{n} ({targets[n]:g} cm, best {targets[n] + errors[n]:.1f} cm)" for n in missed]
        raise MeasurementError(
            "no body matches these measurements together within "
            f"{TOLERANCE_CM:g} cm: {', '.join(misses)}", missed[0]
        )
    return SolvedBody(shape=shape, measurements=measurements, errors_cm=errors)


def _gauss_newton(residuals_batch, x, low, high, n_targets):
    """Minimise |r(x)|^2 within [low, high]; the first n_targets residuals
    must reach ``_DONE_CM``.

    residuals_batch: (B, n) parameter rows -> (B, m) residual rows.
    """

    def jacobian(x):
        steps = np.where(x + _STEP <= high, _STEP, -_STEP)
        r = residuals_batch(np.vstack([x, x + np.diag(steps)]))
        return r[0], ((r[1:] - r[0]) / steps[:, None]).T

    r, jac = jacobian(x)
    damping = 1e-3
    for _ in range(_MAX_ITERATIONS):
        if np.abs(r[:n_targets]).max() < _DONE_CM:
            break
        normal = jac.T @ jac
        step = np.linalg.solve(normal + damping * np.diag(np.diag(normal) + 1e-9), -jac.T @ r)
        x_new = np.clip(x + step, low, high)
        r_new = residuals_batch(x_new[None])[0]
        if r_new @ r_new < r @ r:
            moved = x_new - x
            jac += np.outer(r_new - r - jac @ moved, moved) / max(moved @ moved, 1e-12)
            x, r, damping = x_new, r_new, damping / 3
        else:  # the linear model misled us: refresh it and be more careful
            r, jac = jacobian(x)
            damping *= 4
    return x
