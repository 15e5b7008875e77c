"""POST /v1/garments with a sewing pattern: read at once (a 422 saying why, nothing stored),
sewn in every size by a job that reports its progress, then a garment like any other."""

from __future__ import annotations

import io
import json

import pytest

from garments.patterns.reading import read_pattern
from garments.sample_patterns.catalogue import SAMPLES
from tests.api.helpers import assert_problem, poll_job
from tests.garments.patterns.test_dxf_aama import graded_skirt
from tests.settings import configure
from tests.sewing.test_sewing import _side_seams

pytestmark = pytest.mark.slow  # sews on the mannequins


def _form(pattern: bytes, filename: str, **fields) -> dict:
    return {"name": "Sewn skirt", "category": "skirt", "fabric": "woven-cotton", "fit": "women",
            "pattern": (io.BytesIO(pattern), filename), **fields}


def test_a_graded_dxf_with_its_stitches_is_sewn_by_a_job_into_a_garment(client, auth, garment_store,
                                                                         tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    configure(client.application, RENDER_BUDGET_S=0)
    dxf = graded_skirt()
    sewing = json.dumps(_side_seams(read_pattern(dxf, "skirt-a01.dxf")))
    queued = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                         data=_form(dxf, "skirt-a01.dxf", sewing=sewing, sizes="S,M,L",
                                    colorways='[{"name": "Moss", "color": "#4a6a3a"}]'))
    assert queued.status_code == 202, queued.get_data(as_text=True)
    job = poll_job(client, queued.headers["Location"], auth("merchant"), timeout=300)
    assert job["status"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"], job
    outcome = client.get(job["result_url"], headers=auth("merchant")).get_json()
    assert outcome["accepted"], outcome
    assert sorted(outcome["sewing"]) == ["L", "M", "S"]
    assert all(r["seams_closed"] and r["penetration_mm"] <= 1.0 for r in outcome["sewing"].values())
    stored = client.get(f"/v1/garments/{outcome['garment']['id']}", headers=auth("merchant")).get_json()
    assert stored["sizes"] == ["S", "M", "L"] and [c["id"] for c in stored["colorways"]] == ["moss"]
    assert stored["pattern"]["format"] == "dxf-aama" and stored["pattern"]["sizes"] == ["S", "M", "L"]
    mesh = garment_store.load_size(stored["id"], "M")
    assert mesh.uvs is not None and len(mesh.physics_vertices) < len(mesh.vertices)  # seams welded
    assert list((garment_store.root / ".incoming").iterdir()) == []  # the upload folder is gone


def test_a_garmentcode_pattern_is_sewn_in_its_one_size(client, auth, garment_store, tmp_path, monkeypatch):
    monkeypatch.setenv("TRYON_BLOB_URL", f"file://{tmp_path / 'blobs'}")
    configure(client.application, RENDER_BUDGET_S=120)
    tee = next(s for s in SAMPLES if s.key == "tshirt")
    made = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                       data=_form(tee.pattern_bytes("L"), "tee.json", name="Sewn tee", category="top",
                                  fabric="jersey", fit="men", sizes="L",
                                  sewing=json.dumps({"placements": {"neckband": {
                                      "part": "neck", "side": 90, "anchor": "neck", "offset_m": 0.045}}})))
    assert made.status_code == 201, made.get_data(as_text=True)
    garment = made.get_json()
    assert garment["sizes"] == ["L"] and garment["pattern"]["sewing"]["L"]["seams_closed"]


@pytest.mark.parametrize("fields, field, says", [
    ({"pattern": (io.BytesIO(b"0\nSECTION\n2\nENTITIES\n0\nENDSEC\n0\nEOF\n"), "empty.dxf")}, "pattern",
     "no usable pattern piece"),
    ({"pattern": (io.BytesIO(b'{"pattern": {"panels": {}}}'), "p.json")}, "pattern", "no pattern.panels"),
    ({"pattern": (io.BytesIO(b"{}"), "skirt.pdf")}, "pattern", "not a pattern format"),
    ({}, "sewing", "says nothing of how its pieces are sewn"),
    ({"sewing": "{not json"}, "sewing", "not JSON"),
    ({"sizes": "XXS"}, "sizes", "no size XXS"),
    ({"size_M": (io.BytesIO(b"v 0 0 0"), "m.obj")}, "pattern", "not both"),
])
def test_a_pattern_that_cannot_be_used_is_refused_at_once_and_nothing_is_stored(
        client, auth, garment_store, fields, field, says):
    form = _form(graded_skirt(), "skirt-a01.dxf")
    refused = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                          data={**form, **fields})
    body = assert_problem(refused, 422, field)
    assert says in body["detail"], body
    assert garment_store.list() == []
    assert not (garment_store.root / ".incoming").exists() or list((garment_store.root / ".incoming").iterdir()) == []


def test_the_pattern_check_lists_each_edge_to_stitch(client, auth):
    checked = client.post("/v1/patterns/check", headers=auth("merchant"), content_type="multipart/form-data",
                          data={"pattern": (io.BytesIO(graded_skirt()), "skirt-a01.dxf")})
    assert checked.status_code == 200
    front = next(p for p in checked.get_json()["pieces"] if p["name"] == "FRONT" and p["size"] == "M")
    assert [e["edge"] for e in front["edge_list"]] == [0, 1, 2, 3]
    assert sorted(e["length_cm"] for e in front["edge_list"]) == [38.0, 54.0, 60.5, 60.5]  # sides: 60 down, 8 out


def test_a_piece_that_cannot_be_placed_is_refused_before_any_sewing(client, auth, garment_store):
    spec = next(s for s in SAMPLES if s.key == "tshirt").spec("M")
    panels = spec["pattern"]["panels"]
    panels["part_7"] = panels.pop("neckband")  # a name that says nothing of where it goes
    for stitch in spec["pattern"]["stitches"]:
        for side in stitch:
            side["panel"] = "part_7" if side["panel"] == "neckband" else side["panel"]
    refused = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                          data=_form(json.dumps(spec).encode(), "tee.json", category="top", fabric="jersey",
                                     fit="men", sizes="M"))
    body = assert_problem(refused, 422, "placements")
    assert "part_7" in body["detail"] and '"part"' in body["detail"], body
    assert garment_store.list() == []


def test_a_size_chart_is_checked_against_every_size_a_graded_pattern_will_sew(client, auth, garment_store):
    dxf = graded_skirt()
    sewing = json.dumps(_side_seams(read_pattern(dxf, "skirt-a01.dxf")))
    chart = json.dumps({"unit": "cm", "sizes": {"S": {"waist": 68}, "M": {"waist": 74}}})  # no L
    refused = client.post("/v1/garments", headers=auth("merchant"), content_type="multipart/form-data",
                          data=_form(dxf, "skirt-a01.dxf", sewing=sewing, size_chart=chart))
    body = assert_problem(refused, 422, "size_chart")
    assert "L" in body["detail"], body
    assert garment_store.list() == []
