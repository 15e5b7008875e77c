"""Fitting body models to scans made from bodies of known shape and pose."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from avatars.body_models import registry
from avatars.measurements import measure_shapes
from avatars.scans.fitting import (
    MAX_MEAN_MM,
    MAX_P95_MM,
    FitRejected,
    a_pose_vertices,
    error_percentiles_mm,
    fit_scan,
    surface_distance,
)
from avatars.scans.reading import load_scan, normalise_points
from avatars.body_models.smplx_model import SmplxBodyModel
from avatars.scans.synthetic import synthetic_scan, write_points

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


@pytest.fixture(scope="module")
def full_size_fit(anny_model):
    """One 100k-point scan (3 mm noise, holes, floor, clutter, mm, Y-up), sex unknown."""
    made = synthetic_scan(anny_model, seed=11, points=100_000, units="mm", y_up=True,
                          file_format="glb")
    scan = load_scan(made.data, made.filename)
    return made, scan, fit_scan(scan)


def test_full_size_scan_meets_the_accuracy_targets(full_size_fit):
    made, scan, fit = full_size_fit
    assert fit.percentiles_mm["mean"] <= 5.0
    assert fit.percentiles_mm["p95"] <= 12.0
    assert fit.sex == made.sex
    assert fit.backend == "anny"
    assert fit.error_m.shape == (len(scan.points),)
    assert set(fit.percentiles_mm) == {"mean", "p50", "p90", "p95", "p99", "max"}
    assert fit.percentiles_mm == error_percentiles_mm(fit.error_m)
    assert fit.seconds > 0


def test_fitted_body_measures_like_the_true_one(full_size_fit, anny_model):
    made, _, fit = full_size_fit
    truth = measure_shapes(anny_model, made.shape[None], breasts=made.sex == "female")[0]
    assert fit.measurements["stature"] == pytest.approx(truth.stature, abs=1.5)
    for girth in ("chest_girth", "waist_girth", "hip_girth"):
        assert fit.measurements[girth] == pytest.approx(getattr(truth, girth), abs=3.0), girth


def test_a_pose_preview_and_placement(full_size_fit, anny_model):
    made, scan, fit = full_size_fit
    assert len(fit.shape) == len(anny_model.shape_names)
    assert fit.pose.shape == (len(anny_model.bone_names), 3)
    vertices = a_pose_vertices(fit, anny_model)
    assert vertices.shape == (anny_model.vertex_count, 3)
    assert vertices[:, 2].min() == pytest.approx(0.0, abs=1e-5)
    # The fitted pose, placed, is the surface the errors were measured to.
    with torch.no_grad():
        posed = anny_model.forward(torch.tensor(fit.shape), fit.pose).vertices[0].double().numpy()
    placed = posed @ fit.placement[:3, :3].T + fit.placement[:3, 3]
    error = surface_distance(scan.points[:2000].astype(np.float64), placed, anny_model.faces)
    np.testing.assert_allclose(error, fit.error_m[:2000], atol=1e-4)


def test_a_box_is_rejected_with_the_reason(anny_model):
    standing = trimesh.transformations.translation_matrix([0.0, 0.0, 0.85])
    box = trimesh.creation.box((0.45, 0.3, 1.7), standing)  # a person's size
    points, _ = trimesh.sample.sample_surface(box, 20_000, seed=1)
    points += np.random.default_rng(1).normal(0.0, 0.003, points.shape)
    scan = load_scan(write_points(points, "ply"), "box.ply")
    limits = rf"mean .* mm \(limit {MAX_MEAN_MM:g}\).*\(limit {MAX_P95_MM:g}\)"
    with pytest.raises(FitRejected, match=limits):
        fit_scan(scan, sex="female", model=anny_model)


def test_a_sphere_is_rejected(anny_model):
    sphere = trimesh.creation.icosphere(subdivisions=4, radius=0.8)
    points, _ = trimesh.sample.sample_surface(sphere, 20_000, seed=2)
    scan = normalise_points(points + [0.0, 0.0, 0.8])
    with pytest.raises(FitRejected, match="no body fits this scan"):
        fit_scan(scan, sex="male", model=anny_model)


def test_smplx_backend_is_fitted(smplx_dir, monkeypatch):
    """The active SMPL-X backend, on synthetic model files (tube bodies whose
    sexes differ only in scale, which the betas absorb: the sex is given)."""
    monkeypatch.setenv("TRYON_BODY_MODEL", "smplx")
    monkeypatch.setenv("TRYON_SMPLX_DIR", str(smplx_dir))
    registry._load.cache_clear()
    try:
        model = registry.get_body_model("male")
        made = synthetic_scan(model, seed=12, sex="male", points=30_000, file_format="ply")
        scan = load_scan(made.data, made.filename)
        fit = fit_scan(scan, sex="male")
        assert isinstance(registry.get_body_model(fit.sex), SmplxBodyModel)
        assert fit.backend == "smplx" and len(fit.shape) == 10
        assert fit.pose.shape == (55, 3)
        assert fit.percentiles_mm["mean"] <= 5.0 and fit.percentiles_mm["p95"] <= 12.0
        assert fit.sex == "male"
        assert fit.measurements["stature"] is not None
        assert a_pose_vertices(fit).shape == (model.vertex_count, 3)
    finally:
        registry._load.cache_clear()
