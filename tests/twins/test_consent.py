"""Consent grants: the fields recorded, the document sealed, status from dates, who is covered."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import timedelta

import pytest

from tests.twins.conftest import DOCUMENT, OTHER_SHOP, SHOP, make_grant
from tests.settings import current_blobs, current_garments


def _grant(grant_id):
    from tryon.storage.database import session_scope
    from tryon.storage.models import ConsentGrant

    with session_scope() as session:
        return session.get(ConsentGrant, grant_id)


def test_a_grant_records_every_field_and_seals_its_document(twin_env, talent, keys):
    from tryon.twins.consent import describe_grant, document_bytes

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
    assert document_bytes(grant, current_blobs()) == DOCUMENT
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
    from tryon.twins.consent import InvalidGrant

    fields = dict(fields)
    kind = fields.pop("kind")
    extra = {"scope_origins": [SHOP]} if kind == "use" else {}
    with pytest.raises(InvalidGrant) as raised:
        make_grant(talent, kind, **{**extra, **fields})
    assert raised.value.field == field, raised.value


def test_status_is_computed_from_dates_and_revocation(twin_env, talent):
    from tryon.twins.consent import end_reason, grant_status
    from tryon.storage.models import utcnow
    from tryon.twins.revocation import revoke

    pending = make_grant(talent, "use", scope_origins=[SHOP], start_days=2, end_days=5)
    expired = make_grant(talent, "use", scope_origins=[SHOP], start_days=-5, end_days=-1)
    active = make_grant(talent, "use", scope_origins=[SHOP])
    assert [grant_status(_grant(g)) for g in (pending, expired, active)] == [
        "pending", "expired", "active"]
    assert grant_status(_grant(pending), utcnow() + timedelta(days=3)) == "active"
    revoked, _ = revoke(active, "the campaign ended early", "talent tl-x", current_blobs())
    assert grant_status(revoked) == "revoked"
    assert "the campaign ended early" in end_reason(revoked) and "talent tl-x" in end_reason(revoked)
    again, _ = revoke(active, "second thoughts", "admin", current_blobs())  # the first revocation stands
    assert again.revoked_reason == "the campaign ended early"


def test_a_date_alone_as_the_end_runs_through_that_day():
    from tryon.twins.consent import parse_when

    assert parse_when("2026-12-31", end=True).isoformat() == "2027-01-01T00:00:00+00:00"
    assert parse_when("2026-12-31").isoformat() == "2026-12-31T00:00:00+00:00"
    assert parse_when("2026-12-31T10:00:00+02:00").isoformat() == "2026-12-31T08:00:00+00:00"


@pytest.mark.slow
def test_who_a_use_grant_covers(twin, keys):
    from tryon.core.errors import ConsentEnded, ConsentRequired
    from tryon.twins.permission import choose_use_grant
    from tryon.storage.database import session_scope
    from tryon.storage.models import Twin
    from tryon.twins.revocation import revoke

    def choose(key_id, origin, channel="e-commerce"):
        with session_scope() as session:
            return choose_use_grant(session, session.get(Twin, twin["id"]), key_id, origin, channel).id

    assert choose(keys["shop"][0], SHOP) == twin["use"]  # by storefront origin
    assert choose(keys["merchant"][0], None) == twin["use"]  # by API key id
    with pytest.raises(ConsentRequired):
        choose(keys["other_shop"][0], OTHER_SHOP)  # another brand
    with pytest.raises(ConsentRequired):
        choose(keys["shop"][0], SHOP, "ads")  # another channel
    revoke(twin["use"], "no more", "talent", current_blobs())
    with pytest.raises(ConsentEnded) as ended:
        choose(keys["shop"][0], SHOP)
    assert ended.value.status == 410 and "no more" in ended.value.detail


@pytest.mark.slow
def test_a_revoked_creation_consent_withdraws_the_twin(twin, twin_env):
    from tryon.core.errors import ConsentEnded
    from tryon.storage.database import session_scope
    from tryon.storage.models import Twin
    from tryon.twins.revocation import revoke
    from tryon.twins.access import authorize_use, preview_digest
    from tryon.twins.lifecycle import load_twin_avatar

    from tryon.drape.cache import drape_cache_dir
    from tryon.drape.draping import cached_drape

    digest = preview_digest(twin["id"])
    assert digest and current_blobs().exists(digest)
    skirt = next(g.id for g in current_garments().list() if g.name == "A-line skirt")
    cached_drape(load_twin_avatar(twin["id"]), skirt, "M", store=current_garments())  # a garment on the person's body
    assert any(drape_cache_dir(twin["id"]).iterdir())
    _, done = revoke(twin["creation"], "I withdraw my likeness", "talent", current_blobs())
    assert done == {twin["id"]: "withdrawn"}
    with session_scope() as session:
        row = session.get(Twin, twin["id"])
        assert row.status == "withdrawn" and row.shape is None and row.measurements is None
    assert load_twin_avatar(twin["id"]) is None
    assert not current_blobs().exists(digest) and preview_digest(twin["id"]) is None
    assert not drape_cache_dir(twin["id"]).exists()
    with pytest.raises(ConsentEnded, match="I withdraw my likeness"):
        authorize_use(twin["id"], None, SHOP, blobs=current_blobs())
