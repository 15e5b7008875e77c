"""/v1/fit: per-region verdicts and the recommended size (the first call drapes, ~1 s)."""

from garments.store import GarmentStore
from tests.api.helpers import assert_problem


def _skirt_id() -> str:
    return next(g for g in GarmentStore().list() if g.name == "A-line skirt").id


def test_fit_of_a_library_avatar(client, auth):
    url = f"/v1/fit?avatar=f165-eu40&garment={_skirt_id()}&size=m"
    report = client.get(url, headers=auth("publishable")).get_json()
    assert report["size"] == "M" and report["avatar"] == "f165-eu40" and report["advice"]
    assert report["regions"] and {r["verdict"] for r in report["regions"]} <= {"loose", "fits", "tight"}
    assert report["recommended_size"] in GarmentStore().get(_skirt_id()).sizes


def test_fit_of_a_body_from_measurements(client, auth):
    made = client.post("/v1/avatars", json={"height": 166, "waist": 76, "hips": 100, "sex": "female"},
                       headers=auth("publishable")).get_json()
    report = client.get(f"/v1/fit?avatar={made['id']}&garment={_skirt_id()}&size=L",
                        headers=auth("publishable")).get_json()
    assert report["avatar"] == made["id"] and report["regions"]


def test_fit_errors(client, auth):
    skirt = _skirt_id()
    for query, status, field in [
        (f"garment={skirt}&size=M", 422, "avatar"),
        (f"avatar=nobody&garment={skirt}&size=M", 404, "avatar"),
        ("avatar=f165-eu40&garment=nothing&size=M", 404, "garment"),
        (f"avatar=f165-eu40&garment={skirt}&size=XXXL", 422, "size"),
    ]:
        assert_problem(client.get(f"/v1/fit?{query}", headers=auth("publishable")), status, field)
    assert_problem(client.get(f"/v1/fit?avatar=f165-eu40&garment={skirt}&size=M"), 401)
