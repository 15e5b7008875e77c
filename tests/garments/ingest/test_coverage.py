"""A garment is on its mannequin only when it goes around the parts its category
covers: sample garments pass, garments exported in another frame or moved do not."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from garments.ingest import coverage
from garments.ingest.loading import MeshData
from garments.ingest.validation import validate_mesh
from garments.mannequin import mannequin_geometry
from garments.store import GarmentStore
from tests.settings import current_garments

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

REFUSALS = {"not_on_body", "inside_body", "off_body", "implausible_size"}


def _samples():
    return {g.name: g for g in current_garments().list()}


def _mesh(garment, size):
    mesh = current_garments().load_size(garment.id, size)
    return np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces)


def test_every_sample_garment_size_goes_around_what_its_category_covers():
    for garment in _samples().values():
        for size in garment.sizes:
            vertices, faces = _mesh(garment, size)
            body = mannequin_geometry(garment.fit, size)
            shares = [coverage.surround(vertices, faces, body, part).share
                      for part in coverage.covered_parts(garment.category, body)]
            assert min(shares) >= coverage.SURROUND_MIN, (garment.name, size, shares)
            report, mesh = validate_mesh(MeshData(vertices, faces, None, None), garment.fit, size,
                                         garment.category)
            assert mesh is not None and "not_on_body" not in report.codes(), report.as_dict()
            assert report.stats["median_distance_m"] <= coverage.NEAR_MEDIAN_M


def test_a_skirt_does_not_go_around_each_leg():
    skirt = _samples()["A-line skirt"]
    vertices, faces = _mesh(skirt, "M")
    body = mannequin_geometry("women", "M")
    legs = coverage.covered_parts("trousers", body)[1:]
    assert all(not coverage.surround(vertices, faces, body, leg).surrounds for leg in legs)


def _research_frame(vertices, body, scale=1.0):
    """As a research body's exporter writes it: pelvis at the origin, Y up, facing +Z."""
    moved = vertices - [0.0, 0.0, body.levels.hip]
    return np.stack([moved[:, 0], moved[:, 2], -moved[:, 1]], axis=1) * scale


@pytest.mark.parametrize("scale, unit", [(1.0, "m"), (100.0, "cm")])
def test_a_top_exported_y_up_with_the_pelvis_at_the_origin_is_refused_with_the_reason(scale,
                                                                                      unit):
    tshirt = _samples()["Classic T-shirt"]
    vertices, faces = _mesh(tshirt, "M")
    exported = _research_frame(vertices, mannequin_geometry("men", "M"), scale)
    report, mesh = validate_mesh(MeshData(exported, faces, None, None), "men", "M", "top")
    assert mesh is None
    (finding,) = [f for f in report.findings if f.severity == "error"]
    assert finding.code == "not_on_body", finding
    for said in ("does not go around the men's size M mannequin's chest", "below where it belongs",
                 "Y-up", "`tryon mannequin`"):
        assert said in finding.message, finding.message


def _turned(vertices):
    return vertices @ np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).T


@pytest.mark.parametrize("change", ["to the feet", "turned 90 degrees", "scaled x10"])
def test_a_sample_garment_moved_turned_or_scaled_is_refused(change):
    for garment in _samples().values():
        vertices, faces = _mesh(garment, "M")
        if change == "to the feet":
            centre = vertices.mean(axis=0)
            vertices = vertices - [centre[0], centre[1], vertices[:, 2].min()]
            vertices[:, 2] *= 0.3  # crumpled on the floor
        elif change == "turned 90 degrees":
            vertices = _turned(vertices)
        else:
            vertices = vertices * 10
        report, mesh = validate_mesh(MeshData(vertices, faces, None, None), garment.fit, "M",
                                     garment.category)
        assert mesh is None, (garment.name, change, report.as_dict())
        assert set(report.codes("error")) & REFUSALS, (garment.name, report.codes())


def test_the_store_refuses_a_garment_that_is_not_on_the_mannequin(tmp_path):
    tshirt = _samples()["Classic T-shirt"]
    vertices, faces = _mesh(tshirt, "M")
    path = tmp_path / "tshirt.obj"
    exported = _research_frame(vertices, mannequin_geometry("men", "M"))
    trimesh.Trimesh(exported, faces, process=False).export(path)
    store = GarmentStore(tmp_path / "garments")
    garment, reports = store.add("Research tee", "top", "jersey", "men", {"M": path})
    assert garment is None and store.list() == []
    assert "not_on_body" in reports["M"].codes("error")
