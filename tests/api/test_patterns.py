"""``POST /v1/patterns/check``: a graded DXF and a GarmentCode file read and reported,
bad files refused with a problem+json saying why, nothing stored."""

from __future__ import annotations

import io
import json

from tests.api.helpers import assert_problem
from tests.garments.patterns.test_dxf_aama import graded_skirt


def _check(client, headers, data: bytes, filename: str, **fields):
    return client.post("/v1/patterns/check", headers=headers, content_type="multipart/form-data",
                       data={"pattern": (io.BytesIO(data), filename), **fields})


def test_a_graded_dxf_is_reported_piece_by_piece(client, auth):
    answer = _check(client, auth("merchant"), graded_skirt(), "skirt-a01.dxf")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report = answer.get_json()
    assert report["format"] == "dxf-aama" and report["sizes"] == ["S", "M", "L"]
    assert len(report["pieces"]) == 6 and {p["name"] for p in report["pieces"]} == {"FRONT", "BACK"}
    front_m = next(p for p in report["pieces"] if (p["name"], p["size"]) == ("FRONT", "M"))
    assert front_m["area_cm2"] == 2760.0 and front_m["grain_deg"] == -90.0 and front_m["notches"] == 2
    assert any("millimetres" in note for note in report["notes"])


def test_a_garmentcode_file_brings_its_stitches(client, auth):
    square = {"vertices": [[0, 0], [30, 0], [30, 40], [0, 40]],
              "edges": [{"endpoints": [0, 1]}, {"endpoints": [1, 2]}, {"endpoints": [2, 3]},
                        {"endpoints": [3, 0]}]}
    spec = {"pattern": {"panels": {"front": square, "back": square},
                        "stitches": [[{"panel": "front", "edge": 1}, {"panel": "back", "edge": 3}]]},
            "properties": {"units_in_meter": 100}}
    answer = _check(client, auth("merchant"), json.dumps(spec).encode(), "top_specification.json")
    assert answer.status_code == 200
    assert answer.get_json()["stitches"] == [{"a": {"piece": "front", "edge": 1},
                                              "b": {"piece": "back", "edge": 3}}]


def test_bad_files_and_callers_are_refused(client, auth):
    body = assert_problem(_check(client, auth("merchant"), b"\x00 not a drawing", "p.dxf"), 422, "pattern")
    assert "could not read p.dxf as DXF" in body["detail"]
    assert_problem(_check(client, auth("merchant"), b"{}", "p.json"), 422, "pattern")
    assert_problem(_check(client, auth("merchant"), graded_skirt(), "p.dxf", units="furlong"), 422)
    assert_problem(_check(client, auth("merchant"), b"x", "p.pdf"), 422, "pattern")
    assert_problem(_check(client, auth("publishable"), graded_skirt(), "p.dxf"), 403)
    assert_problem(_check(client, {}, graded_skirt(), "p.dxf"), 401)
