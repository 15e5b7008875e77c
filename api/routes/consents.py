"""Consents: talents (models), their consent grants, and revocation.

- ``POST /v1/talents`` (studio): record a model; bind talent keys to them
  with ``tryon keys create --role talent --talent ID``.
- ``POST /v1/consents`` (studio, multipart with the signed ``document``):
  record a grant (``tryon.twins.consent``); 422 names the field at fault.
- ``GET /v1/consents``, ``GET /v1/consents/{id}``: a talent key sees its
  own grants; studio and admin keys see all (``?talent=`` filters).
- ``GET /v1/consents/{id}/document``: the signed document, to its talent,
  studios and admins only, never cached (``no-store``).
- ``POST /v1/consents/{id}/revoke`` (the grant's talent, a studio or an
  admin; JSON ``{"reason": ...}``): effective at once in every process;
  the twins it touched are carried out (``tryon.twins.revocation.revoke``).
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf
from flask import Response, g

from api.auth import SECURITY, require_key
from api.errors import ProblemError
from api.extensions import blob_store
from api.twin_access import GRANT_READERS, caller_talent
from tryon.storage.database import session_scope
from tryon.storage.models import (
    CHANNELS,
    CONSENT_KINDS,
    PAY_BASES,
    SCAN_RETENTIONS,
    ConsentGrant,
)
from tryon.storage.sealed import SealError
from tryon.twins.consent import (
    InvalidGrant,
    create_grant,
    describe_grant,
    document_bytes,
    grants_of,
)
from tryon.twins.consent import create_talent as create
from tryon.twins.revocation import revoke

consents = APIBlueprint("consents", __name__, url_prefix="/v1", tag="Consents")

def who() -> str:
    """How the ledger of revocations names the caller."""
    key = g.api_key
    talent = caller_talent()
    return f"talent {talent}" if talent else f"{key.role} key {key.prefix}"


def find_grant(grant_id: str, field: str = "consent_id"):
    """A grant the caller may see (its own, for a talent); 404 otherwise."""
    talent = caller_talent()
    with session_scope() as session:
        grant = session.get(ConsentGrant, grant_id) if len(grant_id) <= 40 else None
    if grant is None or (talent is not None and grant.talent_id != talent):
        raise ProblemError(404, "Not Found", f"no consent {grant_id!r}", field)
    return grant


class TalentIn(Schema):
    name = String(required=True, validate=Length(1, 200))


class TalentOut(Schema):
    id = String()
    name = String()
    created_at = String()


class ScopeOut(Schema):
    key_ids = List(Integer())
    origins = List(String())
    channels = List(String())


class ConsentOut(Schema):
    id = String()
    talent = String()
    kind = String(metadata={"description": "creation (of a twin) or use (of the talent's twins)"})
    twin = String(allow_none=True, metadata={"description": "a use grant for one twin only"})
    status = String(metadata={"description": "pending, active, expired or revoked"})
    obtained_by = String()
    recorded_by_key = Integer(allow_none=True)
    purpose = String()
    scope = Nested(ScopeOut)
    pay = Dict(metadata={"description": "{basis: per-render|per-day|flat, currency, amount_minor}"})
    starts_at = String()
    ends_at = String()
    document = Dict(metadata={"description": "{sha256, name, media_type} of the signed document"})
    scan_retention = String(allow_none=True)
    captures_appearance = Boolean(allow_none=True, metadata={
        "description": "creation grants: the twin carries her skin's colours and surface detail"})
    created_at = String()
    revoked_at = String(allow_none=True)
    revoked_reason = String(allow_none=True)
    revoked_by = String(allow_none=True)
    closed = Dict(metadata={"description": "after a revocation: what was done to each twin"})


class ConsentList(Schema):
    consents = List(Nested(ConsentOut))


ConsentForm = Schema.from_dict({
    "talent": String(required=True, validate=Length(1, 40)),
    "kind": String(required=True, validate=OneOf(CONSENT_KINDS)),
    "obtained_by": String(required=True, validate=Length(1, 200),
                          metadata={"description": "who obtained the consent (person, agency)"}),
    "purpose": String(required=True, validate=Length(1, 5000)),
    "channels": List(String(validate=Length(1, 100)), metadata={
        "description": f"use grants: any of {', '.join(CHANNELS)} (repeat, or comma-separated)"}),
    "scope_key_ids": List(String(validate=Length(1, 200)), metadata={
        "description": "use grants: ids of the API keys (brands) covered"}),
    "scope_keys": List(String(validate=Length(1, 200)), metadata={
        "description": "use grants: the same, by key prefix (as `tryon keys list` shows them)"}),
    "scope_origins": List(String(validate=Length(1, 300)), metadata={
        "description": "use grants: storefront origins covered"}),
    "twin": String(validate=Length(1, 40), metadata={"description": "use grants: one twin only"}),
    "pay_basis": String(required=True, validate=OneOf(PAY_BASES)),
    "pay_currency": String(required=True, validate=Length(3, 3)),
    "pay_amount_minor": Integer(required=True, metadata={"description": "in minor units (cents)"}),
    "starts_at": String(required=True, metadata={"description": "ISO 8601 date or time, UTC"}),
    "ends_at": String(required=True, metadata={"description": "ISO 8601; a date runs through that day"}),
    "scan_retention": String(validate=OneOf(SCAN_RETENTIONS), metadata={
        "description": "creation grants: keep the raw scan encrypted, or delete it after fitting"}),
    "captures_appearance": Boolean(load_default=False, metadata={
        "description": "creation grants: the twin carries the model's appearance (her skin's "
                       "colours and her surface's detail, baked from the scan, sealed, deleted "
                       "on withdrawal); false (the default): her shape only"}),
    "document": File(required=True, metadata={"description": "the signed consent document"}),
}, name="ConsentForm")


class ConsentQuery(Schema):
    talent = String(validate=Length(1, 40))
    kind = String(validate=OneOf(CONSENT_KINDS))


class RevokeIn(Schema):
    reason = String(required=True, validate=Length(1, 2000))


@consents.post("/talents")
@require_key("studio")
@consents.input(TalentIn)
@consents.output(TalentOut, status_code=201)
@consents.doc(security=SECURITY, responses=[422])
def create_talent(json_data):
    """Record a model (talent) whose consent grants and twins will name them."""
    try:
        with session_scope() as session:
            talent = create(session, json_data["name"])
    except InvalidGrant as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), e.field) from None
    return {"id": talent.id, "name": talent.name, "created_at": talent.created_at.isoformat()}, 201


@consents.post("/consents")
@require_key("studio")
@consents.input(ConsentForm, location="form_and_files")
@consents.output(ConsentOut, status_code=201)
@consents.doc(security=SECURITY, responses=[413, 422])
def create_consent(form_and_files_data):
    """Record a consent grant with its signed document (sealed, never served publicly)."""
    key = g.api_key
    data = form_and_files_data
    document = data["document"]
    try:
        with session_scope() as session:
            grant = create_grant(
                session, talent_id=data["talent"], kind=data["kind"], obtained_by=data["obtained_by"],
                purpose=data["purpose"], channels=data.get("channels"),
                scope_key_ids=data.get("scope_key_ids"), scope_key_prefixes=data.get("scope_keys"),
                scope_origins=data.get("scope_origins"),
                twin_id=data.get("twin"), pay_basis=data["pay_basis"],
                pay_currency=data["pay_currency"], pay_amount_minor=data["pay_amount_minor"],
                starts_at=data["starts_at"], ends_at=data["ends_at"],
                scan_retention=data.get("scan_retention"),
                captures_appearance=data["captures_appearance"], document=document.read(),
                document_name=document.filename or "consent",
                document_media_type=document.mimetype or "application/octet-stream",
                recorded_by_key_id=key.id, blobs=blob_store())
            body = describe_grant(grant)
    except InvalidGrant as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), e.field) from None
    return body, 201, {"Location": f"/v1/consents/{body['id']}"}


@consents.get("/consents")
@require_key(*GRANT_READERS)
@consents.input(ConsentQuery, location="query")
@consents.output(ConsentList)
@consents.doc(security=SECURITY)
def list_consents(query_data):
    """Grants: a talent key sees its own; studio and admin keys see all."""
    talent = caller_talent() or query_data.get("talent")
    with session_scope() as session:
        grants = [describe_grant(grant) for grant in grants_of(session, talent)
                  if query_data.get("kind", grant.kind) == grant.kind]
    return {"consents": grants}


@consents.get("/consents/<consent_id>")
@require_key(*GRANT_READERS)
@consents.output(ConsentOut)
@consents.doc(security=SECURITY, responses=[404])
def get_consent(consent_id: str):
    """One grant, with its status computed now."""
    return describe_grant(find_grant(consent_id))


@consents.get("/consents/<consent_id>/document")
@require_key(*GRANT_READERS)
@consents.doc(security=SECURITY, responses={200: {"description": "the signed document"},
                                            404: "no such consent"})
def get_document(consent_id: str):
    """The signed consent document, to its talent, studios and admins; never cached."""
    grant = find_grant(consent_id)
    try:
        data = document_bytes(grant, blob_store())
    except (KeyError, SealError) as e:
        raise ProblemError(503, "Document unavailable", str(e.args[0] if e.args else e)) from None
    response = Response(data, mimetype=grant.document_media_type)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="{grant.document_name}"'
    return response


@consents.post("/consents/<consent_id>/revoke")
@require_key(*GRANT_READERS)
@consents.input(RevokeIn)
@consents.output(ConsentOut)
@consents.doc(security=SECURITY, responses=[404, 422])
def revoke_consent(consent_id: str, json_data):
    """Revoke a grant now: no new render, GLB, fit or listing it allowed is served
    anywhere; cached outputs of twins left without consent are deleted and
    their queued jobs fail."""
    grant = find_grant(consent_id)
    try:
        revoked, done = revoke(grant.id, json_data["reason"], who(), blob_store())
    except InvalidGrant as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), e.field) from None
    return {**describe_grant(revoked), "closed": done}
