"""A garment's size chart: sent with the upload or later, checked, listed with the garment."""

import json

import pytest

from tests.api.helpers import assert_problem
from tests.api.test_garments import _form, _sample_obj

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

CHART = {"unit": "cm", "sizes": {"S": {"bust": 86, "waist": [66, 70], "hips": 94},
                                 "M": {"bust": 92, "waist": [71, 76], "hips": 100}}}


def _upload(client, auth, **fields):
    form = {**_form(S=(_sample_obj("S"), "s.obj"), M=(_sample_obj("M"), "m.obj")), **fields}
    return client.post("/v1/garments", headers=auth("merchant"), data=form,
                       content_type="multipart/form-data")


def test_a_chart_sent_with_the_upload_is_kept_and_listed(client, auth, garment_store):
    made = _upload(client, auth, size_chart=json.dumps(CHART))
    assert made.status_code == 201, made.get_json()
    chart = made.get_json()["size_chart"]
    assert [row["size"] for row in chart["sizes"]] == ["S", "M"]
    assert chart["sizes"][0] == {"size": "S", "bust": 86.0, "waist": [66.0, 70.0], "hips": 94.0}
    assert garment_store.size_chart(made.get_json()["id"]).sizes == ("S", "M")


@pytest.mark.parametrize("chart, words", [
    ("{not json", "size_chart is not JSON"),
    (json.dumps({"sizes": {"S": {"waist": 68}}}), "no row for size M"),
    (json.dumps({"sizes": {"S": {"waist": 68}, "M": {"waist": 6.4}}}), "is the unit right?"),
])
def test_a_chart_that_cannot_be_used_refuses_the_upload_and_stores_nothing(
        client, auth, garment_store, chart, words):
    problem = assert_problem(_upload(client, auth, size_chart=chart), 422, "size_chart")
    assert words in problem["detail"]
    assert garment_store.list() == []


def test_a_chart_is_given_replaced_and_removed_later(client, auth, garment_store):
    garment = _upload(client, auth).get_json()
    assert garment["size_chart"] is None
    url = f"/v1/garments/{garment['id']}/size-chart"
    given = client.put(url, json=CHART, headers=auth("merchant"))
    assert given.status_code == 200 and given.get_json()["size_chart"]["sizes"][1]["size"] == "M"
    inches = {"unit": "in", "sizes": [{"size": "S", "waist": 27}, {"size": "M", "waist": 29}]}
    assert client.put(url, json=inches, headers=auth("merchant")).get_json()["size_chart"] == {
        "unit": "cm", "sizes": [{"size": "S", "waist": 68.6}, {"size": "M", "waist": 73.7}]}
    assert_problem(client.put(url, json={"sizes": {"M": {"waist": 70}}}, headers=auth("merchant")),
                   422, "size_chart")
    assert_problem(client.put(url, data="S=86", headers=auth("merchant")), 422, "size_chart")
    assert_problem(client.put(url, json=CHART, headers=auth("publishable")), 403)
    assert_problem(client.put("/v1/garments/nope-123/size-chart", json=CHART,
                              headers=auth("merchant")), 404)
    removed = client.put(url, data="null", content_type="application/json",
                         headers=auth("merchant"))
    assert removed.status_code == 200 and removed.get_json()["size_chart"] is None


def test_a_mesh_smaller_than_its_chart_row_is_flagged_and_kept(client, auth, garment_store):
    # the S and M skirts are cut for 68 and 74 cm waists: a chart that makes M for a 90 cm
    # waist (the merchant typed L's row, say) contradicts the M mesh, not the S one
    chart = {"sizes": {"S": {"waist": 68, "hips": 94}, "M": {"waist": 90, "hips": 100}}}
    made = _upload(client, auth, size_chart=json.dumps(chart))
    assert made.status_code == 201, made.get_json()
    reports = made.get_json()["reports"]
    warned = [f for f in reports["M"]["findings"] if f["code"] == "chart_mismatch"]
    assert len(warned) == 1 and warned[0]["severity"] == "warning", reports["M"]["findings"]
    assert "90 cm waist" in warned[0]["message"] and warned[0]["details"]["garment_cm"] < 87
    assert not [f for f in reports["S"]["findings"] if f["code"] == "chart_mismatch"]
    # the right chart clears the warning
    fixed = client.put(f"/v1/garments/{made.get_json()['id']}/size-chart", json=CHART,
                       headers=auth("merchant")).get_json()
    assert not [f for f in fixed["reports"]["M"]["findings"] if f["code"] == "chart_mismatch"]
