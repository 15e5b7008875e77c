"""/v1/avatars: the library with filters, one avatar, bodies from measurements."""

import pytest

from tests.api.helpers import assert_problem

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers


def test_list_and_filter(client, auth):
    everyone = client.get("/v1/avatars", headers=auth("publishable")).get_json()["avatars"]
    assert len(everyone) == 32 and {"id", "measurements", "height_cm", "skin_tone"} <= set(everyone[0])
    tall_women = client.get("/v1/avatars?sex=female&height_min=175&height_max=180",
                            headers=auth("publishable")).get_json()["avatars"]
    assert tall_women and all(a["sex"] == "female" and 175 <= a["height_cm"] <= 180 for a in tall_women)
    eu40 = client.get("/v1/avatars?size=40", headers=auth("publishable")).get_json()["avatars"]
    assert {a["id"] for a in eu40} == {"f165-eu40", "f157-eu40", "f178-eu40"}
    tone = client.get("/v1/avatars?skin_tone=1", headers=auth("publishable")).get_json()["avatars"]
    assert tone and all(a["skin_tone"] == 1 for a in tone)


def test_bad_filters_are_422_with_the_field(client, auth):
    for query, field in [("height_min=abc", "height_min"), ("sex=robot", "sex"),
                         ("skin_tone=11", "skin_tone"), ("size=x", "size")]:
        assert_problem(client.get(f"/v1/avatars?{query}", headers=auth("merchant")), 422, field)


def test_get_one(client, auth):
    avatar = client.get("/v1/avatars/f165-eu40", headers=auth("publishable")).get_json()
    assert avatar["id"] == "f165-eu40" and avatar["eu_size"] == 40 and avatar["height_cm"] == 165
    assert (avatar["hair"], avatar["hair_colour"]) == ("afro", "black")
    assert_problem(client.get("/v1/avatars/nobody", headers=auth("publishable")), 404, "avatar_id")


def test_create_from_measurements(client, auth):
    body = {"height": 170, "waist": 75, "hips": 100, "sex": "female", "skin_tone": 4}
    response = client.post("/v1/avatars", json=body, headers=auth("publishable"))
    assert response.status_code == 201
    avatar = response.get_json()
    assert avatar["id"].startswith("m-") and response.headers["Location"] == f"/v1/avatars/{avatar['id']}"
    assert abs(avatar["measurements"]["waist_girth"] - 75) <= 1 and abs(avatar["errors_cm"]["hips"]) <= 1
    again = client.get(response.headers["Location"], headers=auth("publishable"))
    assert again.get_json()["measurements"] == avatar["measurements"]
    assert (avatar["hair"], avatar["hair_colour"]) == ("shoulder-length", "dark-brown")  # the shopper can change it
    # the same measurements name the same body
    assert client.post("/v1/avatars", json=body, headers=auth("merchant")).get_json()["id"] == avatar["id"]


def test_bad_measurements_are_422_with_the_field(client, auth):
    for body, field in [({}, "height"), ({"height": 300}, "height"), ({"height": "tall"}, "height"),
                        ({"height": 170, "waist": 10}, "waist"), ({"height": 170, "sex": "x"}, "sex"),
                        ({"height": 170, "build": "round"}, "build"),
                        ({"height": 170, "waist": 56, "hips": 149, "sex": "female"}, "waist")]:
        assert_problem(client.post("/v1/avatars", json=body, headers=auth("merchant")), 422, field)
    not_json = client.post("/v1/avatars", data="{{{", content_type="application/json",
                           headers=auth("merchant"))
    assert 400 <= not_json.status_code < 500 and not_json.mimetype == "application/problem+json"
