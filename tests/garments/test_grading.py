"""Grading every size from one base size."""

from __future__ import annotations

import pytest

import numpy as np

from garments.grading import grade, scale_length
from garments.ingest.loading import load_mesh
from garments.mannequin import SIZES
from garments.ingest.mesh_checks import boundary_loops
from garments.ingest.validation import validate_mesh
from tests.garments.garment_files import ply_bytes

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def test_graded_girths_grow_with_size(tube):
    vertices, faces = tube
    base = load_mesh(ply_bytes(vertices, faces), "tube.ply").mesh

    graded = grade(base, "women", "M", SIZES)

    assert list(graded) == list(SIZES)
    np.testing.assert_array_equal(graded["M"].vertices, base.vertices)
    girths = np.array([[loop.length for loop in boundary_loops(graded[s].vertices, faces)]
                       for s in SIZES])  # (sizes, [top hem, bottom hem]) in metres
    assert (np.diff(girths, axis=0) > 0.02).all()
    for size in SIZES:  # every graded size sits on its own mannequin
        report, _ = validate_mesh(graded[size], "women", size)
        assert report.accepted and report.codes("warning") == [], size
        np.testing.assert_array_equal(graded[size].faces, faces)


def test_length_scale_moves_the_hem_not_the_top(tube):
    vertices, faces = tube
    base = load_mesh(ply_bytes(vertices, faces), "tube.ply").mesh
    plain = grade(base, "women", "M", ["L"])["L"]
    longer = grade(base, "women", "M", ["L"], {"L": 1.1})["L"]
    assert np.isclose(longer.vertices[:, 2].max(), plain.vertices[:, 2].max())
    assert np.isclose(np.ptp(longer.vertices[:, 2]), 1.1 * np.ptp(plain.vertices[:, 2]))
    np.testing.assert_array_equal(longer.vertices[:, :2], plain.vertices[:, :2])


def test_scale_length():
    vertices = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.5]])
    np.testing.assert_allclose(scale_length(vertices, 2.0), [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
