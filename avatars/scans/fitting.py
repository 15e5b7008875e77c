"""Fit a body model to a normalised scan: a consenting model's digital twin.

Robust optimisation with torch (Adam), coarse to fine:

1. heading: the model's average body of the scan's stature, A-posed, is
   aligned rigidly (heading about z, translation) to 1,500 scan points from
   4 headings over half a turn; the best wins. Front and back (which a
   rigid fit confuses) are then settled by the first body stage, run from
   both: scans may face any way.
2. body: for each candidate sex, placement, every shape parameter and the
   big bones (root to wrists, ankles and head) on 2,500 points, the robust
   kernel narrowing from 10 cm to 4 cm.
3. detail: every bone, shape and placement on 6,000 points, kernel 2 cm,
   for each sex; the sex whose body fits closest is kept and refined with
   a 1 cm kernel.

The data term is a two-way robust Chamfer distance: every scan point to
the body surface (closest point on the closest triangle, barycentric
coordinates held for each step) under a pseudo-Huber kernel, which never
lets go of a limb that starts far from its points; and body points to
the nearest of 40,000 scan points under a Geman-McClure kernel, which
lets holes in the scan (and a floor-cut sole) pull nothing. The rigid
heading search uses Geman-McClure both ways. Priors: shape parameters
pulled weakly towards the average body of the sex with the scan's stature
(solved as ``from_measurements`` does) and bounded (adult ages; anny's
gender continuum held to the sex's side); pose deviations from the A-pose
penalised (squared, the same for every bone). Placement is a heading
about z and a translation; the root bone may tilt the body in the detail
stages. Torch runs on one thread during a fit (see ``fit_scan``).

The fit is measured on every scan point (exact distance to the fitted
surface) and refused (``FitRejected``) when its mean exceeds
``MAX_MEAN_MM`` or its 95th percentile ``MAX_P95_MM``: such a body is not
the person scanned (a wrong or partial scan, a non-human object, a pose
far outside a standing one). A body still ``_EARLY_REJECT`` times the mean
limit away after the body stage is refused then.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from avatars.body_models.base import BodyModel
from avatars.body_models.registry import SEXES, get_body_model
from avatars.measurements import measure_shapes
from avatars.scans.fit_state import FitState, new_state
from avatars.scans.fit_terms import ScanTarget, data_term, geman_mcclure, subsample
from avatars.scans.reading import Scan
from tryon.core.errors import Invalid
from tryon.core.geometry import closest_on_surface, vertex_face_table

MAX_MEAN_MM = 10.0
MAX_P95_MM = 25.0
SEX_CANDIDATES = ("female", "male")
_HEADINGS = 4  # over half a turn: the first body stage tries the opposite heading too
_POSE_PRIOR = 0.02  # per squared radian of every bone's turn away from the A-pose
# (scan points, robust sigma m, iterations, learning rate) of each stage
_HEADING_STAGE = (1_500, 0.1, 30, 0.05)
_BODY_STAGES = ((2_500, 0.1, 25, 0.03), (2_500, 0.04, 25, 0.02))
_DETAIL_STAGES = ((6_000, 0.02, 40, 0.01), (6_000, 0.01, 40, 0.005))
_BODY_SUBSET = 3_000
_COMPARE_POINTS, _COMPARE_SIGMA = 6_000, 0.02  # fits are compared on these
_EARLY_REJECT = 4.0  # bodies this many times the mean limit away after the body stage stop there
_SHAPE_PRIOR = 0.02


class FitRejected(Invalid):
    """The best body is too far from the scan to be its twin; the message says how
    far. percentiles: the distances found, mm ({"mean", "p95", ...})."""

    def __init__(self, detail: str, field: str = "scan", percentiles: dict | None = None):
        super().__init__(detail, field)
        self.percentiles = dict(percentiles or {})


@dataclass(frozen=True)
class ScanFit:
    """A body model fitted to a scan.

    sex: female or male (or what was asked); backend: the body model's name.
    shape: (S,) the model's shape parameters, as ``Avatar.shape`` holds them.
    pose: (J, 3) the model's axis-angle pose, radians, in the model's own
        convention (``BodyModel.forward``).
    placement: (4, 4) rigid transform from the posed model's frame (feet on
        z = 0) to the scan's, metres: a heading about z and a translation.
    error_m: (N,) distance of every scan point to the fitted surface, metres.
    percentiles_mm: mean, p50, p90, p95, p99 and max of ``error_m`` in mm.
    measurements: of the fitted body in the A-pose, centimetres (ISO 8559-1).
    seconds: wall time of the fit.
    """

    sex: str
    backend: str
    shape: tuple[float, ...]
    pose: torch.Tensor
    placement: np.ndarray
    error_m: np.ndarray
    percentiles_mm: dict[str, float]
    measurements: dict[str, float | None]
    seconds: float


def fit_scan(
    scan: Scan, sex: str | None = None, model: BodyModel | None = None, log=None
) -> ScanFit:
    """Fit the body model's shape and pose to ``scan``.

    sex: female, male or neutral; None fits ``SEX_CANDIDATES`` and keeps the
        closest. model: a body model to use for every sex (default: the
        active backend's model of each sex). log: progress lines, or None.
    Raises FitRejected when the fitted body is too far from the scan.
    """
    threads = torch.get_num_threads()
    # The tensors here are small: one thread is as fast as two on an idle
    # machine and many times faster on a busy one (no spinning thread pool).
    torch.set_num_threads(1)
    try:
        return _fit(scan, sex, model, log)
    finally:
        torch.set_num_threads(threads)


def _fit(scan: Scan, sex: str | None, model: BodyModel | None, log) -> ScanFit:
    started = time.perf_counter()

    def say(message: str) -> None:
        if log:
            log(f"[{time.perf_counter() - started:5.1f} s] {message}")

    if sex is not None and sex not in SEXES:
        raise ValueError(f"sex must be one of {', '.join(SEXES)} or None, got {sex!r}")
    target = ScanTarget(scan, np.random.default_rng(0))
    sexes = (sex,) if sex else SEX_CANDIDATES
    models = {s: model or get_body_model(s) for s in sexes}
    heading = _find_heading(models[sexes[0]], sexes[0], target)

    # Front and back are easily confused by a rigid fit: the first body
    # stage settles which, on the first sex.
    flips = []
    for turn in (0.0, math.pi):
        state = _start(models[sexes[0]], sexes[0], target, heading, turn)
        _optimise(state, target, *_BODY_STAGES[0], big_bones_only=True)
        flips.append((state.loss, turn, state))
    _, turn, first = min(flips, key=lambda f: f[0])
    say(f"heading {math.degrees(float(first.heading)) % 360:.0f} degrees")
    fits = []
    for s in sexes:
        state = first if s == sexes[0] else _start(models[s], s, target, heading, turn)
        for stage in _BODY_STAGES[1:] if s == sexes[0] else _BODY_STAGES:
            _optimise(state, target, *stage, big_bones_only=True)
        fits.append(state)
    # Fits are compared on the same points with the same kernel.
    picked = target.points[subsample(len(target.points), _COMPARE_POINTS, target.rng)]
    best = min(fits, key=lambda f: _evaluate(f, target, picked, _COMPARE_SIGMA))
    with torch.no_grad():
        rough = surface_distance(picked.double().numpy(), best.vertices().double().numpy(),
                                 best.model.faces)
    if rough.mean() * 1000.0 > _EARLY_REJECT * MAX_MEAN_MM:  # hopeless: save the detail stages
        raise FitRejected(_rejection(error_percentiles_mm(rough)),
                          percentiles=error_percentiles_mm(rough))
    # The sexes differ in detail (breasts, hips) that only shows once every
    # bone is fitted: each gets the first detail stage before they are compared.
    for state in fits:
        _optimise(state, target, *_DETAIL_STAGES[0], big_bones_only=False)
        state.loss = _evaluate(state, target, picked, _DETAIL_STAGES[0][1])
        say(f"{state.sex}: loss {state.loss:.4f}")
    state = min(fits, key=lambda f: f.loss)
    for stage in _DETAIL_STAGES[1:]:
        _optimise(state, target, *stage, big_bones_only=False)
    say(f"{state.sex}: detail loss {state.loss:.4f}")

    with torch.no_grad():
        vertices = state.vertices().double().numpy()
    error = surface_distance(scan.points.astype(np.float64), vertices, state.model.faces)
    percentiles = error_percentiles_mm(error)
    shape = state.shape().detach()
    if percentiles["mean"] > MAX_MEAN_MM or percentiles["p95"] > MAX_P95_MM:
        raise FitRejected(_rejection(percentiles), percentiles=percentiles)
    measured = measure_shapes(state.model, shape[None], breasts=state.sex == "female")[0]
    return ScanFit(
        sex=state.sex,
        backend=state.model.name,
        shape=tuple(round(float(x), 6) for x in shape),
        pose=state.pose().detach().clone(),
        placement=state.placement(),
        error_m=error.astype(np.float32),
        percentiles_mm=percentiles,
        measurements=measured.as_dict(),
        seconds=time.perf_counter() - started,
    )


def _rejection(percentiles: dict[str, float]) -> str:
    return (f"no body fits this scan closely enough: {distances_found(percentiles)}. Rescan the "
            "person standing, arms away from the body, without loose clothing or props")


def distances_found(percentiles: dict[str, float]) -> str:
    """'scan-to-body distance mean 13.2 mm (limit 10), 95th percentile ...'."""
    return (f"scan-to-body distance mean {percentiles['mean']:.1f} mm (limit {MAX_MEAN_MM:g}), "
            f"95th percentile {percentiles['p95']:.1f} mm (limit {MAX_P95_MM:g})")


@torch.no_grad()
def a_pose_vertices(fit: ScanFit, model: BodyModel | None = None) -> np.ndarray:
    """(V, 3) float32 the fitted body in the A-pose, metres, feet on z = 0: for a preview."""
    model = model or get_body_model(fit.sex)
    shape = torch.tensor(fit.shape, dtype=torch.float32)
    return model.forward(shape, model.named_pose("a-pose")).vertices[0].numpy()


def error_percentiles_mm(error_m: np.ndarray) -> dict[str, float]:
    """mean, p50, p90, p95, p99 and max of (N,) distances in metres, as millimetres."""
    mm = np.asarray(error_m, dtype=np.float64) * 1000.0
    p50, p90, p95, p99 = np.percentile(mm, [50, 90, 95, 99])
    values = {"mean": mm.mean(), "p50": p50, "p90": p90, "p95": p95, "p99": p99, "max": mm.max()}
    return {k: round(float(v), 2) for k, v in values.items()}


def surface_distance(points: np.ndarray, vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(N,) distance of (N, 3) points to the triangle surface (vertices (V, 3), faces (F, 3)).

    Searches the triangles around each point's 3 nearest vertices, which
    finds the closest triangle on any reasonably even mesh (and otherwise
    an upper bound of the distance).
    """
    _, _, distance = closest_on_surface(points, vertices, faces, neighbours=3)
    return distance


def _start(model: BodyModel, sex: str, target: ScanTarget, heading: FitState, turn: float) -> FitState:
    """A fit placed where the heading search left its body, turned by ``turn`` more."""
    key = (id(model), sex)
    if key not in target.starts:  # solving for the stature takes a second: once per sex
        target.starts[key] = new_state(model, sex, target.stature_m)
    state = new_state(model, sex, target.stature_m, like=target.starts[key])
    state.heading = heading.heading + turn
    state.translation = heading.translation + heading.pivot - state.pivot
    return state


def _find_heading(model, sex, target) -> FitState:
    """The placement of the scan's stature's average A-posed body that fits best,
    over ``_HEADINGS`` starting headings (heading and translation only)."""
    count, sigma, iterations, lr = _HEADING_STAGE
    picked = target.points[subsample(len(target.points), count, target.rng)]
    state = target.starts[(id(model), sex)] = new_state(model, sex, target.stature_m)
    with torch.no_grad():
        body = model.forward(state.shape(), state.pose()).vertices[0]
    centre = picked.mean(dim=0)
    best = None
    for k in range(_HEADINGS):
        trial = new_state(model, sex, target.stature_m, like=state)
        trial.heading = torch.tensor(math.pi * k / _HEADINGS)
        trial.translation = torch.tensor([*(centre[:2] - trial.pivot[:2]), 0.0])
        _optimise_rigid(trial, body, picked, target, sigma, iterations, lr)
        if best is None or trial.loss < best.loss:
            best = trial
    return best


def _body_subset(model: BodyModel, rng: np.random.Generator) -> torch.Tensor:
    return subsample(model.vertex_count, _BODY_SUBSET, rng)


def _optimise_rigid(state, body, picked, target, sigma, iterations, lr):
    """Move only the heading and translation of a fixed body (no model evaluations)."""
    vertex_faces = vertex_face_table(len(body), state.model.faces)
    subset = _body_subset(state.model, target.rng)
    state.heading.requires_grad_(True)
    state.translation.requires_grad_(True)
    optimiser = torch.optim.Adam([state.heading, state.translation], lr=lr)
    for _ in range(iterations):
        # Geman-McClure both ways: the average body's arms and legs may sit
        # far from the scan's, and should not turn the body to meet them.
        loss = data_term(state.place(body), state.model.faces, vertex_faces, picked, subset,
                         target, sigma, kernel=geman_mcclure)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        state.loss = float(loss.detach())
    state.heading.requires_grad_(False)
    state.translation.requires_grad_(False)


@torch.no_grad()
def _evaluate(state: FitState, target: ScanTarget, picked: torch.Tensor, sigma: float) -> float:
    """The data term of a fit on given scan points."""
    model = state.model
    subset = torch.arange(model.vertex_count)
    vertex_faces = vertex_face_table(model.vertex_count, model.faces)
    vertices = state.vertices()
    return float(data_term(vertices, model.faces, vertex_faces, picked, subset, target, sigma))


def _big_bones(model: BodyModel) -> torch.Tensor:
    """(J,) bool: the limbs, spine and head: every bone on the way from the root
    to a landmark (wrists, ankles, head), without hands, feet and face detail."""
    big = np.zeros(len(model.bone_names), dtype=bool)
    for bone in model.landmarks.values():
        while bone >= 0 and not big[bone]:
            big[bone] = True
            bone = int(model.bone_parents[bone])
    return torch.from_numpy(big)


def _optimise(state, target, count, sigma, iterations, lr, big_bones_only):
    """Adam on placement, shape and pose against ``count`` scan points."""
    model = state.model
    picked = target.points[subsample(len(target.points), count, target.rng)]
    subset = _body_subset(model, target.rng)
    vertex_faces = vertex_face_table(model.vertex_count, model.faces)
    movable = _big_bones(model)
    if not big_bones_only:
        movable[:] = True
    if big_bones_only:  # the placement turns the body; the root only tilts it later
        movable[torch.from_numpy(model.bone_parents < 0)] = False
    mask = movable[:, None].float()
    unit_low = (state.low - state.start) / (state.high - state.low)
    unit_high = (state.high - state.start) / (state.high - state.low)
    params = [state.shape_u, state.pose_delta, state.heading, state.translation]
    for p in params:
        p.requires_grad_(True)
    optimiser = torch.optim.Adam(
        [
            {"params": [state.shape_u], "lr": lr},
            {"params": [state.pose_delta], "lr": lr},
            {"params": [state.heading], "lr": lr},
            {"params": [state.translation], "lr": 0.5 * lr},
        ]
    )
    for _ in range(iterations):
        # Frozen bones stay at the A-pose: their deltas are masked out of the body.
        shape = state.start + state.shape_u * (state.high - state.low)
        pose = state.a_pose + state.pose_delta * mask
        vertices = state.place(model.forward(shape, pose).vertices[0])
        data = data_term(vertices, model.faces, vertex_faces, picked, subset, target, sigma)
        prior = _SHAPE_PRIOR * (state.shape_u**2).sum() + _POSE_PRIOR * (
            (state.pose_delta * mask) ** 2
        ).sum()
        optimiser.zero_grad()
        (data + prior).backward()
        optimiser.step()
        with torch.no_grad():
            state.shape_u.copy_(torch.maximum(torch.minimum(state.shape_u, unit_high), unit_low))
        state.loss = float(data.detach())
    with torch.no_grad():
        state.pose_delta.mul_(mask)
    for p in params:
        p.requires_grad_(False)
