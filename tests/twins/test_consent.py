"""Consent grants: the fields recorded, the document sealed, status from dates, who is covered."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import timedelta

import pytest

from tests.twins.conftest import DOCUMENT, OTHER_SHOP, SHOP, make_grant


def _grant(grant_id):
    from tryon.database import session_scope
    from tryon.db_models import ConsentGrant

    with session_scope() as session:
        return session.get(ConsentGrant, grant_id)


def test_a_grant_records_every_field_and_seals_its_document(twin_env, talent, keys):
    from avatars.consent import describe_grant, document_bytes

    grant_id = make_grant(talent, "use", scope_origins=[SHOP + ":443"], scope_key_prefixes=None,
                          scope_key_ids=[keys["merchant"][0]], channels="e-commerce,ads",
                          pay_basis="per-day", pay_currency="eur", pay_amount_minor=1500)
    body = describe_grant(_grant(grant_id))
    assert body["kind"] == "use" and body["talent"] == talent and body["status"] == "active"
    assert body["scope"] == {"key_ids": [keys["merchant"][0]], "origins": [SHOP],
                             "channels": ["e-commerce", "ads"]}
    assert body["pay"] == {"basis": "per-day", "currency": "EUR", "amount_minor": 1500}
    assert body["obtained_by"] and body["purpose"] and body["starts_at"] < body["ends_at"]
    assert body["document"]["sha256"] == hashlib.sha256(DOCUMENT).hexdigest()

    grant = _grant(grant_id)
    blob = os.path.join(twin_env["TRYON_BLOB_URL"].removeprefix("file://"),
                        grant.document_blob[:2], grant.document_blob)
    stored = open(blob, "rb").read()
    assert DOCUMENT not in stored and b"PDF" not in stored  # encrypted at rest
    assert document_bytes(grant) == DOCUMENT
    key_file = twin_env["TRYON_SEAL_KEY_FILE"]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


@pytest.mark.parametrize("fields, field", [
    ({"kind": "use", "channels": []}, "channels"),
    ({"kind": "use", "channels": ["print"]}, "channels"),
    ({"kind": "use", "scope_origins": [], "scope_key_ids": []}, "scope_key_ids"),
    ({"kind": "use", "scope_origins": ["https://shop.example.com/path"]}, "scope_origins"),
    ({"kind": "use", "scope_key_ids": [999]}, "scope_key_ids"),
    ({"kind": "use", "scan_retention": "encrypted"}, "scan_retention"),
    ({"kind": "creation", "scan_retention": None}, "scan_retention"),
    ({"kind": "use", "pay_currency": "dollars"}, "pay_currency"),
    ({"kind": "use", "pay_amount_minor": -1}, "pay_amount_minor"),
    ({"kind": "use", "end_days": -2}, "ends_at"),
    ({"kind": "use", "document": b""}, "document"),
    ({"kind": "use", "obtained_by": " "}, "obtained_by"),
])
def test_invalid_grants_name_the_field(twin_env, talent, fields, field):
    from avatars.consent import InvalidGrant

    fields = dict(fields)
    kind = fields.pop("kind")
    extra = {"scope_origins": [SHOP]} if kind == "use" else {}
    with pytest.raises(InvalidGrant) as raised:
        make_grant(talent, kind, **{**extra, **fields})
    assert raised.value.field == field, raised.value


def test_status_is_computed_from_dates_and_revocation(twin_env, talent):
    from avatars.consent import end_reason, grant_status
    from tryon.db_models import utcnow
    from tryon.twin_revocation import revoke

    pending = make_grant(talent, "use", scope_origins=[SHOP], start_days=2, end_days=5)
    expired = make_grant(talent, "use", scope_origins=[SHOP], start_days=-5, end_days=-1)
    active = make_grant(talent, "use", scope_origins=[SHOP])
    assert [grant_status(_grant(g)) for g in (pending, expired, active)] == [
        "pending", "expired", "active"]
    assert grant_status(_grant(pending), utcnow() + timedelta(days=3)) == "active"
    revoked, _ = revoke(active, "the campaign ended early", "talent tl-x")
    assert grant_status(revoked) == "revoked"
    assert "the campaign ended early" in end_reason(revoked) and "talent tl-x" in end_reason(revoked)
    again, _ = revoke(active, "second thoughts", "admin")  # the first revocation stands
    assert again.revoked_reason == "the campaign ended early"


def test_a_date_alone_as_the_end_runs_through_that_day():
    from avatars.consent import parse_when

    assert parse_when("2026-12-31", end=True).isoformat() == "2027-01-01T00:00:00+00:00"
    assert parse_when("2026-12-31").isoformat() == "2026-12-31T00:00:00+00:00"
    assert parse_when("2026-12-31T10:00:00+02:00").isoformat() == "2026-12-31T08:00:00+00:00"


def test_who_a_use_grant_covers(twin, keys):
    from avatars.consent import ConsentEnded, ConsentRequired, choose_use_grant
    from tryon.database import session_scope
    from tryon.db_models import Twin
    from tryon.twin_revocation import revoke

    def choose(key_id, origin, channel="e-commerce"):
        with session_scope() as session:
            return choose_use_grant(session, session.get(Twin, twin["id"]), key_id, origin, channel).id

    assert choose(keys["shop"][0], SHOP) == twin["use"]  # by storefront origin
    assert choose(keys["merchant"][0], None) == twin["use"]  # by API key id
    with pytest.raises(ConsentRequired):
        choose(keys["other_shop"][0], OTHER_SHOP)  # another brand
    with pytest.raises(ConsentRequired):
        choose(keys["shop"][0], SHOP, "ads")  # another channel
    revoke(twin["use"], "no more", "talent")
    with pytest.raises(ConsentEnded) as ended:
        choose(keys["shop"][0], SHOP)
    assert ended.value.status == 410 and "no more" in ended.value.detail


def test_a_revoked_creation_consent_withdraws_the_twin(twin, twin_env):
    from avatars.consent import ConsentEnded
    from tryon.blob_store import blob_store_from_env
    from tryon.database import session_scope
    from tryon.db_models import Twin
    from tryon.twin_revocation import revoke
    from tryon.twins import authorize_use, load_twin_avatar, preview_digest

    from garments.store import GarmentStore
    from tryon.drape import cached_drape, drape_cache_dir

    digest = preview_digest(twin["id"])
    assert digest and blob_store_from_env().exists(digest)
    skirt = next(g.id for g in GarmentStore().list() if g.name == "A-line skirt")
    cached_drape(load_twin_avatar(twin["id"]), skirt, "M")  # a garment on the person's body
    assert any(drape_cache_dir(twin["id"]).iterdir())
    _, done = revoke(twin["creation"], "I withdraw my likeness", "talent")
    assert done == {twin["id"]: "withdrawn"}
    with session_scope() as session:
        row = session.get(Twin, twin["id"])
        assert row.status == "withdrawn" and row.shape is None and row.measurements is None
    assert load_twin_avatar(twin["id"]) is None
    assert not blob_store_from_env().exists(digest) and preview_digest(twin["id"]) is None
    assert not drape_cache_dir(twin["id"]).exists()
    with pytest.raises(ConsentEnded, match="I withdraw my likeness"):
        authorize_use(twin["id"], None, SHOP)
