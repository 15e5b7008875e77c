"""Pattern pieces meshed: outlines kept exactly (each outline segment the edge of one
triangle), the area covered, edges even, stitched edges cut as asked. The pieces are
written here by hand in GarmentCode's format: a concave yoke, a circle skirt's quarter
with arcs, a narrow strap, a bow tie's sharp waist."""

from __future__ import annotations

import json

import numpy as np
import pytest

from garments.patterns.meshing import mesh_piece, segments_for
from garments.patterns.pattern import PatternError
from garments.patterns.reading import read_pattern

SPACING = 2.0


def _piece(vertices, edges):
    spec = {"pattern": {"panels": {"p": {"vertices": vertices, "edges": edges}}},
            "properties": {"units_in_meter": 100, "curvature_coords": "relative"}}
    return read_pattern(json.dumps(spec).encode(), "p.json").pieces[0]


def _loop(n):
    return [{"endpoints": [k, (k + 1) % n]} for k in range(n)]


def _mesh(piece, spacing=SPACING, segments=None):
    edges = [piece.edge(k) for k in range(len(piece.corners))]
    counts = segments or [segments_for(np.linalg.norm(np.diff(e, axis=0), axis=1).sum(), spacing) for e in edges]
    return mesh_piece(piece.name, edges, counts, spacing), counts


def _check(piece, mesh):
    points, faces = mesh.points, mesh.faces
    a, b, c = (points[faces[:, k]] for k in range(3))
    twice = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    assert (twice > 0).all()  # counter-clockwise, none flat
    assert twice.sum() / 2 == pytest.approx(piece.area_cm2, rel=0.01)  # covered, within the resampled outline
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    keys, counts = np.unique(edges[:, 0] * len(points) + edges[:, 1], return_counts=True)
    found = dict(zip(keys.tolist(), counts.tolist()))
    ring = np.arange(mesh.outline_count)
    outline = np.sort(np.stack([ring, np.roll(ring, -1)], axis=1), axis=1)
    assert all(found.get(int(i * len(points) + j)) == 1 for i, j in outline)
    assert set(found.values()) <= {1, 2}  # manifold
    lengths = np.linalg.norm(points[edges[:, 0]] - points[edges[:, 1]], axis=1)
    return lengths


def test_a_concave_yoke_keeps_its_outline_and_gets_even_edges():
    piece = _piece([[0, 0], [40, 0], [40, 30], [28, 30], [28, 12], [12, 12], [12, 30], [0, 30]], _loop(8))
    mesh, counts = _mesh(piece)
    lengths = _check(piece, mesh)
    assert np.median(lengths) == pytest.approx(SPACING, rel=0.1)
    assert lengths.min() > 0.4 * SPACING and lengths.max() < 1.6 * SPACING
    assert [len(e) - 1 for e in mesh.edge_points] == counts


def test_arcs_and_a_narrow_strap_mesh_and_stitched_edges_take_the_count_asked():
    quarter = _piece([[0, 0], [30, 0], [0, 30]], [
        {"endpoints": [0, 1]}, {"endpoints": [1, 2], "curvature": {"type": "circle", "params": [30, 0, 0]}},
        {"endpoints": [2, 0]}])
    mesh, counts = _mesh(quarter, segments=[20, 30, 20])  # as if stitched to longer edges
    _check(quarter, mesh)
    assert [len(e) - 1 for e in mesh.edge_points] == [20, 30, 20]
    strap = _piece([[0, 0], [3.5, 0], [3.5, 45], [0, 45]], _loop(4))
    _check(strap, _mesh(strap)[0])


def test_a_slit_narrower_than_the_spacing_is_refused_saying_where():
    bow_tie = _piece([[0, 0], [20, 8], [40, 0], [40, 20], [20, 12.5], [0, 20]], _loop(6))
    _check(bow_tie, _mesh(bow_tie)[0])  # 4.5 cm at its waist: meshes
    # a slit 6 mm across whose sides are cut unevenly (15 and 17 cm): points face no partner
    slit = _piece([[0, 0], [20, 0], [20, 20], [10.3, 20], [10.3, 5], [9.7, 3], [9.7, 20], [0, 20]], _loop(8))
    with pytest.raises(PatternError, match=r"could not be meshed along its outline near \(10\.0, 4\.0\)"):
        _mesh(slit)
