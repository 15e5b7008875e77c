"""The consent and twin API: studios record, talents see and revoke their own, storefronts
see twins only while a consent covers them."""

from __future__ import annotations

import pytest

import io

from tests.api.helpers import assert_problem
from tests.twins.conftest import DOCUMENT, SHOP, make_grant
from tests.settings import current_blobs

FORM = {"kind": "use", "obtained_by": "Studio Nord", "purpose": "shop try-on",
        "channels": "e-commerce,social", "scope_origins": SHOP, "pay_basis": "per-render",
        "pay_currency": "USD", "pay_amount_minor": "25", "starts_at": "2026-01-01",
        "ends_at": "2030-12-31"}


def _post_consent(client, headers, talent, **changes):
    form = {**FORM, "talent": talent, **changes}
    form = {k: v for k, v in form.items() if v is not None}
    form["document"] = (io.BytesIO(DOCUMENT), "signed.pdf", "application/pdf")
    return client.post("/v1/consents", data=form, headers=headers, content_type="multipart/form-data")


def test_studio_records_talents_and_consents(client, auth, keys):
    made = client.post("/v1/talents", json={"name": "Bea Model"}, headers=auth("studio"))
    assert made.status_code == 201, made.get_data(as_text=True)
    talent = made.get_json()["id"]
    grant = _post_consent(client, auth("studio"), talent, scope_keys=None)
    assert grant.status_code == 201, grant.get_data(as_text=True)
    body = grant.get_json()
    assert body["status"] == "active" and body["scope"]["channels"] == ["e-commerce", "social"]
    assert body["scope"]["origins"] == [SHOP] and body["recorded_by_key"] == keys["studio"][0]
    assert body["ends_at"].startswith("2031-01-01T00:00:00")  # through 2030-12-31
    assert grant.headers["Location"] == f"/v1/consents/{body['id']}"

    assert_problem(_post_consent(client, auth("studio"), talent, channels="print"), 422, "channels")
    assert_problem(_post_consent(client, auth("studio"), "tl-nobody"), 422, "talent")
    assert_problem(_post_consent(client, auth("studio"), talent, kind="creation"), 422,
                   "scan_retention")
    assert_problem(_post_consent(client, auth("studio"), talent, starts_at="yesterday"), 422,
                   "starts_at")
    assert_problem(_post_consent(client, auth("shop"), talent), 403)
    assert_problem(_post_consent(client, auth("merchant"), talent), 403)
    assert_problem(client.post("/v1/talents", json={"name": "x"}, headers=auth("talent")), 403)


@pytest.mark.slow
def test_talents_see_and_revoke_only_their_own(client, auth, twin, keys):
    from tryon.twins.consent import create_talent
    from tryon.storage.database import session_scope

    with session_scope() as session:
        stranger = create_talent(session, "Someone Else").id
    theirs = make_grant(stranger, "use", scope_origins=[SHOP])

    mine = client.get("/v1/consents", headers=auth("talent"))
    assert mine.status_code == 200
    assert {g["id"] for g in mine.get_json()["consents"]} == {twin["creation"], twin["use"]}
    every = client.get("/v1/consents", headers=auth("studio")).get_json()["consents"]
    assert theirs in {g["id"] for g in every}
    assert_problem(client.get(f"/v1/consents/{theirs}", headers=auth("talent")), 404)
    assert_problem(client.post(f"/v1/consents/{theirs}/revoke", json={"reason": "not mine"},
                               headers=auth("talent")), 404)
    assert_problem(client.get("/v1/consents", headers=auth("shop")), 403)

    document = client.get(f"/v1/consents/{twin['use']}/document", headers=auth("talent"))
    assert document.status_code == 200 and document.data == DOCUMENT
    assert document.headers["Cache-Control"] == "private, no-store"
    assert_problem(client.get(f"/v1/consents/{twin['use']}/document", headers=auth("shop")), 403)
    assert_problem(client.get(f"/v1/consents/{twin['use']}/document", headers=auth("merchant")), 403)

    twins = client.get("/v1/twins", headers=auth("talent")).get_json()["twins"]
    assert [t["id"] for t in twins] == [twin["id"]] and twins[0]["status"] == "ready"

    assert_problem(client.post(f"/v1/consents/{twin['use']}/revoke", json={}, headers=auth("talent")),
                   422, "reason")
    revoked = client.post(f"/v1/consents/{twin['use']}/revoke",
                          json={"reason": "I no longer work with this brand"}, headers=auth("talent"))
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    body = revoked.get_json()
    assert body["status"] == "revoked" and body["revoked_by"] == f"talent {twin['talent']}"
    assert body["closed"] == {twin["id"]: "purged"}


@pytest.mark.slow
def test_storefronts_see_a_twin_only_while_a_consent_covers_them(client, auth, twin):
    def listed(name):
        response = client.get("/v1/avatars", headers=auth(name))
        assert response.status_code == 200
        return {a["id"]: a for a in response.get_json()["avatars"]}

    shop = listed("shop")
    assert shop[twin["id"]]["kind"] == "twin" and shop["f165-eu40"]["kind"] == "library"
    assert shop[twin["id"]]["skin_tone"] == 4 and shop[twin["id"]]["eu_size"] is None
    assert twin["id"] in listed("merchant")  # by key id
    assert twin["id"] not in listed("other_shop")
    assert twin["id"] not in {a["id"] for a in client.get(
        "/v1/avatars?size=40", headers=auth("shop")).get_json()["avatars"]}

    one = client.get(f"/v1/avatars/{twin['id']}", headers=auth("shop"))
    assert one.status_code == 200 and one.get_json()["kind"] == "twin"
    assert_problem(client.get(f"/v1/avatars/{twin['id']}", headers=auth("other_shop")), 403,
                   "avatar_id")
    assert_problem(client.get(f"/v1/avatars/{twin['id']}?channel=ads", headers=auth("shop")), 403)

    client.post(f"/v1/consents/{twin['use']}/revoke", json={"reason": "campaign over"},
                headers=auth("talent"))
    assert twin["id"] not in listed("shop")
    gone = assert_problem(client.get(f"/v1/avatars/{twin['id']}", headers=auth("shop")), 410,
                          "avatar_id")
    assert "campaign over" in gone["detail"] and gone["consent"] == twin["use"]
    assert_problem(client.get(f"/v1/avatars/{twin['id']}", headers=auth("merchant")), 410)


@pytest.mark.slow
def test_listing_avatars_reads_the_grants_once_whatever_the_number_of_twins(client, auth, twin,
                                                                           keys):
    from sqlalchemy import event

    from tests.twins.conftest import ready_twin
    from tryon.storage.database import get_engine, session_scope
    from tryon.twins.consent import create_talent

    def listed_with_queries() -> tuple[set[str], int]:
        statements = []
        record = lambda *args: statements.append(args[2])  # noqa: E731 (before_cursor_execute)
        event.listen(get_engine(), "before_cursor_execute", record)
        try:
            response = client.get("/v1/avatars", headers=auth("shop"))
        finally:
            event.remove(get_engine(), "before_cursor_execute", record)
        assert response.status_code == 200
        twins = {a["id"] for a in response.get_json()["avatars"] if a["kind"] == "twin"}
        return twins, len(statements)

    one, queries_for_one = listed_with_queries()
    assert one == {twin["id"]}
    more = set()
    for name in ("Bea", "Cleo", "Dee", "Eve", "Fay"):  # five more models, each with both grants
        with session_scope() as session:
            talent = create_talent(session, name).id
        made = ready_twin(talent, make_grant(talent, "creation"))
        make_grant(talent, "use", scope_origins=[SHOP])
        more.add(made)
    hidden = ready_twin(twin["talent"], make_grant(twin["talent"], "creation"),
                        like="m182-eu54")  # the first model's use grant covers it too
    with session_scope() as session:
        stranger = create_talent(session, "Gil").id
    ready_twin(stranger, make_grant(stranger, "creation"))  # no use grant: not listed
    six, queries_for_eight = listed_with_queries()
    assert six == {twin["id"], hidden, *more}
    assert queries_for_eight == queries_for_one


@pytest.mark.slow
def test_preview_is_private_ledgered_and_credentialed(client, auth, twin):
    from tryon.twins.credentials import read_credentials

    first = client.get(f"/v1/twins/{twin['id']}/preview.png", headers=auth("studio"))
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert first.headers["Cache-Control"] == "private, no-cache"
    found = read_credentials(first.data)["c2pa"]
    assert found["replica"]["consent_grant"] == twin["creation"]
    again = client.get(f"/v1/twins/{twin['id']}/preview.png",
                       headers={**auth("talent"), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert_problem(client.get(f"/v1/twins/{twin['id']}/preview.png", headers=auth("shop")), 403)

    usage = client.get(f"/v1/twins/{twin['id']}/usage", headers=auth("talent"))
    assert usage.status_code == 200
    body = usage.get_json()
    assert body["uses"] == 2 and {e["kind"] for e in body["entries"]} == {"preview"}
    (row,) = body["grants"]
    assert row["grant"] == twin["creation"] and row["uses"] == 2 and row["pay_basis"] == "flat"
    csv_text = client.get(f"/v1/twins/{twin['id']}/usage?format=csv&from=2026-01-01",
                          headers=auth("studio"))
    assert csv_text.mimetype == "text/csv" and twin["creation"] in csv_text.get_data(as_text=True)
    assert_problem(client.get(f"/v1/twins/{twin['id']}/usage?from=soon", headers=auth("studio")),
                   422, "from")

    client.post(f"/v1/consents/{twin['creation']}/revoke", json={"reason": "withdrawn"},
                headers=auth("talent"))
    assert_problem(client.get(f"/v1/twins/{twin['id']}/preview.png", headers=auth("studio")), 410)
    assert client.get(f"/v1/twins/{twin['id']}", headers=auth("talent")).get_json()["status"] == \
        "withdrawn"


@pytest.mark.slow
def test_revocation_fails_the_twins_queued_jobs(client, auth, twin):
    from tryon.storage.database import session_scope
    from tryon.storage.models import Job

    with session_scope() as session:
        queued = Job(kind="render", params={"avatar": twin["id"], "width": 32, "height": 48},
                     status="queued")
        other = Job(kind="render", params={"avatar": "f165-eu40"}, status="queued")
        session.add_all([queued, other])
    client.post(f"/v1/consents/{twin['use']}/revoke", json={"reason": "stop"}, headers=auth("talent"))
    with session_scope() as session:
        assert session.get(Job, queued.id).status == "failed"
        assert "stop" in session.get(Job, queued.id).error or "no active consent" in session.get(
            Job, queued.id).error
        assert session.get(Job, other.id).status == "queued"


@pytest.mark.slow
def test_expiry_acts_like_revocation(client, auth, twin, twin_env):
    import subprocess
    import sys
    from datetime import timedelta

    from sqlalchemy import update

    from tests.twins.conftest import cli_env
    from tryon.storage.database import session_scope
    from tryon.storage.models import ConsentGrant, utcnow
    from tryon.twins.access import preview_digest

    digest = preview_digest(twin["id"])
    with session_scope() as session:
        session.execute(update(ConsentGrant).where(ConsentGrant.id == twin["creation"])
                        .values(ends_at=utcnow() - timedelta(seconds=1)))
    out = subprocess.run([sys.executable, "-m", "tryon.cli", "consent", "sweep"],
                         env=cli_env(twin_env), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and twin["creation"] in out.stdout, out.stderr
    assert not current_blobs().exists(digest)
    gone = assert_problem(client.get(f"/v1/avatars/{twin['id']}", headers=auth("shop")), 410)
    assert "expired" in gone["detail"]
