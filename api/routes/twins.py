"""Digital twins: ``POST /v1/twins`` from a scan, the twins themselves, their uses.

- ``POST /v1/twins`` (studio; multipart ``scan`` file, ``consent``, optional
  ``sex``, ``skin_tone``, ``label``): 403 and nothing stored without an
  active creation consent; 422 with the reason when the scan cannot be read
  or no body fits it. Fitting takes up to about a minute, so it runs as a
  ``twin`` job on the job queue (never on the request thread); the request
  waits for it up to ``TWIN_BUDGET_S`` (config, default 90 s, inside the
  server's 120 s worker timeout): 201 with the twin, its measurements, fit
  percentiles and preview link; else 202 with ``Location:`` the twin's URL,
  which says ``fitting`` until it is ``ready`` (or ``rejected``, with the reason). Scans may
  be up to ``TWIN_MAX_UPLOAD_BYTES`` (config, default 200 MB: a 2M-point
  ASCII PLY or OBJ is 60-80 MB), above the API's 50 MB for other uploads.
- ``POST /v1/twins/{id}/fit`` (studio): fit again a twin left ``fitting``
  after its job gave up on a failing database or disk (its scan is kept).
- ``GET /v1/twins``, ``GET /v1/twins/{id}``: studios and admins see every
  twin, a talent key its own.
- ``GET /v1/twins/{id}/preview.png``: the preview (studio, admin, talent);
  every view is a use of the creation consent, ledgered, never cached publicly.
- ``GET /v1/twins/{id}/usage?from=&to=[&format=csv]``: every use in the
  period and the pay owed per grant at its rate (talent, studio, admin).

Serving twins elsewhere (``/v1/render``, ``/v1/scene.glb``, ``/v1/blobs``,
``/v1/fit``, ``/v1/avatars``) goes through ``authorize_twin`` (403/410
problems) and ``finish_twin_response`` (ledger entry, ``private, no-cache``).
"""

from __future__ import annotations


from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask import Response, g, request
from sqlalchemy import select, update

from api.auth import SECURITY, require_key
from api.errors import ProblemError
from api.extensions import app_settings, blob_store, job_queue
from api.twin_access import GRANT_READERS, bound_origin, caller_talent
from tryon.core.errors import ConsentError, NotFound
from tryon.core.settings import Settings
from tryon.storage.database import session_scope
from tryon.storage.models import Twin
from tryon.twins.access import authorize_preview, log_use, preview_digest
from tryon.twins.consent import InvalidGrant, parse_when
from tryon.twins.ledger import entries_between, report, report_csv
from tryon.twins.lifecycle import TWIN_JOB, describe_twin, start_twin

twins = APIBlueprint("twins", __name__, url_prefix="/v1", tag="Twins")

DEFAULT_TWIN_BUDGET_S = 90.0
DEFAULT_MAX_SCAN_UPLOAD = 200 * 1024 * 1024
#: Twins are never cached by shared caches (a CDN would keep serving them after a
#: revocation, and every view must reach us to be counted); clients revalidate (304).
TWIN_CACHE_CONTROL = "private, no-cache"
DEFAULT_CHANNEL = "e-commerce"


def scan_upload_limit(config: Settings) -> int:
    """Bytes a ``POST /v1/twins`` request may have (``TWIN_MAX_UPLOAD_BYTES``)."""
    return config.twin_max_upload_bytes or DEFAULT_MAX_SCAN_UPLOAD


@twins.before_request
def _scan_upload_limit():
    # Flask 3.1: a per-request limit, read before the body is parsed
    if request.endpoint == "twins.create_twin":
        request.max_content_length = scan_upload_limit(app_settings())


# --- the twins' own routes -------------------------------------------------------------

TwinForm = Schema.from_dict({
    "scan": File(required=True, metadata={"description": "PLY, OBJ or GLB; mesh or point cloud; "
                                                         "up to 2M points"}),
    "consent": String(required=True, validate=Length(1, 40),
                      metadata={"description": "the id of the model's active creation consent"}),
    "sex": String(validate=OneOf(["female", "male"]),
                  metadata={"description": "leave out to let the fit choose"}),
    "skin_tone": Integer(load_default=5, validate=Range(1, 10),
                         metadata={"description": "Monk skin tone 1-10"}),
    "label": String(validate=Length(1, 200)),
}, name="TwinForm")


class TwinAppearanceOut(Schema):
    surface_mm = Dict(keys=String(), values=Float(), metadata={
        "description": "scan-to-twin distance with her displacement: mean, p50, p90, p95, p99, max"})
    texture = Boolean(metadata={"description": "her colours were baked (the scan had colours)"})
    seen = Float(allow_none=True, metadata={"description": "share of her skin the scan's colours reached"})
    colour_delta_e = Float(allow_none=True, metadata={
        "description": "mean CIEDE2000 between her twin and her scan, same cameras"})


class TwinFitOut(Schema):
    percentiles_mm = Dict(keys=String(), values=Float(),
                          metadata={"description": "scan-to-body distance: mean, p50, p90, p95, p99, max"})
    seconds = Float()
    points = Integer()
    backend = String()
    appearance = Nested(TwinAppearanceOut, allow_none=True, metadata={
        "description": "where the creation consent captures her appearance: how close it is"})


class TwinOut(Schema):
    id = String()
    kind = String()
    label = String()
    status = String(metadata={"description": "fitting, ready, rejected or withdrawn"})
    talent = String()
    creation_consent = String()
    sex = String(allow_none=True)
    skin_tone = Integer()
    height_cm = Float(allow_none=True)
    measurements = Dict(keys=String(), values=Float(allow_none=True), allow_none=True,
                        metadata={"description": "cm, ISO 8559-1 names"})
    fit = Nested(TwinFitOut, allow_none=True)
    error = String(allow_none=True, metadata={"description": "why a fit was refused"})
    scan = Dict(metadata={"description": "{sha256, name, kept: encrypted|deleted}"})
    appearance = String(allow_none=True, metadata={
        "description": "sealed: her captured texture and displacement are kept encrypted; "
                       "null: none captured (or deleted on withdrawal)"})
    preview_url = String(allow_none=True)
    job = String(allow_none=True)
    location = String(allow_none=True)
    created_at = String()
    ready_at = String(allow_none=True)
    withdrawn_at = String(allow_none=True)


class TwinList(Schema):
    twins = List(Nested(TwinOut))


class UsageQuery(Schema):
    from_ = String(data_key="from", metadata={"description": "ISO 8601 date or time (inclusive)"})
    to = String(metadata={"description": "ISO 8601 date or time (exclusive; a date: through that day)"})
    format = String(load_default="json", validate=OneOf(["json", "csv"]))


def twin_budget_s() -> float:
    value = app_settings().twin_budget_s
    return DEFAULT_TWIN_BUDGET_S if value is None else max(0.0, float(value))


def find_twin(twin_id: str, field: str = "twin_id"):
    """A twin the caller may see (its own, for a talent key); 404 otherwise."""
    talent = caller_talent()
    with session_scope() as session:
        twin = session.get(Twin, twin_id) if len(twin_id) <= 40 else None
    if twin is None or (talent is not None and twin.talent_id != talent):
        raise ProblemError(404, "Not Found", f"no twin {twin_id!r}", field)
    return twin


@twins.post("/twins")
@require_key("studio")
@twins.input(TwinForm, location="form_and_files")
@twins.output(TwinOut, status_code=201)
@twins.doc(security=SECURITY, responses={
    201: "the twin, fitted", 202: "still fitting: poll the twin at Location",
    403: "no active creation consent (nothing stored)", 413: "the scan is too large",
    422: "the scan cannot be read, or no body fits it (the reason says which)"})
def create_twin(form_and_files_data):
    """A digital twin from a consenting model's scan (fitting runs as a job)."""
    data = form_and_files_data
    upload = data["scan"]
    try:
        twin = start_twin(upload.read(), upload.filename or "scan", data["consent"],
                          sex=data.get("sex"), skin_tone=data["skin_tone"], label=data.get("label"),
                          blobs=blob_store())
    except ConsentError as e:
        raise ProblemError(403, "Forbidden", e.detail, "consent") from None
    return _fit(twin.id)


@twins.post("/twins/<twin_id>/fit")
@require_key("studio")
@twins.output(TwinOut, status_code=201)
@twins.doc(security=SECURITY, responses={
    201: "the twin, fitted", 202: "still fitting: poll the twin at Location",
    404: "no such twin", 409: "the twin is not waiting for a fit (ready, rejected or withdrawn)",
    422: "no body fits the scan (the reason says which)"})
def refit_twin(twin_id: str):
    """Fit again a twin still ``fitting`` whose job gave up (the database or disk failed
    on every attempt); its sealed scan was kept for this."""
    twin = find_twin(twin_id)
    if twin.status != "fitting":
        raise ProblemError(409, "Conflict", f"twin {twin.id} is {twin.status}; only a twin "
                           "still fitting can be fitted again", "twin_id")
    return _fit(twin.id)


def _fit(twin_id: str):
    """Queue the twin's fit (once: a fit already queued or running is joined) and
    wait for it up to the twin budget: 201, 202, or the refusal as a problem."""
    queue = job_queue()
    job_id = queue.submit(TWIN_JOB, {"twin": twin_id}, dedupe_key=f"twin:{twin_id}")
    with session_scope() as session:  # one UPDATE: no read before the write (SQLite locks)
        session.execute(update(Twin).where(Twin.id == twin_id).values(job_id=job_id))
    budget = twin_budget_s()
    job = queue.wait(job_id, budget) if budget > 0 else queue.get(job_id)
    with session_scope() as session:
        twin = session.get(Twin, twin_id)
    location = f"/v1/twins/{twin.id}"  # studio keys read twins (jobs are for storefront keys)
    if twin.status == "ready":
        return describe_twin(twin), 201, {"Location": location}
    if twin.status in ("rejected", "withdrawn"):
        status = 422 if twin.status == "rejected" else 410
        raise ProblemError(status, "Unprocessable Entity" if status == 422 else "Gone",
                           twin.error or f"twin {twin.id} is {twin.status}", "scan", twin=twin.id)
    if job is not None and job.status == "failed":
        raise ProblemError(503, "Fit failed", f"the twin job failed: {job.error}; the twin "
                           f"keeps its scan: POST {location}/fit to try again", twin=twin.id)
    return ({**describe_twin(twin), "job": job_id, "location": location}, 202,
            {"Location": location, "Retry-After": "5", "Cache-Control": "no-store"})


@twins.get("/twins")
@require_key(*GRANT_READERS)
@twins.output(TwinList)
@twins.doc(security=SECURITY)
def list_twins():
    """Twins: every one for studios and admins, a talent's own for a talent key."""
    talent = caller_talent()
    query = select(Twin).order_by(Twin.created_at.desc())
    if talent is not None:
        query = query.where(Twin.talent_id == talent)
    with session_scope() as session:
        return {"twins": [describe_twin(t) for t in session.scalars(query)]}


@twins.get("/twins/<twin_id>")
@require_key(*GRANT_READERS)
@twins.output(TwinOut)
@twins.doc(security=SECURITY, responses=[404])
def get_twin(twin_id: str):
    """One twin: its status, measurements, fit and consent."""
    return describe_twin(find_twin(twin_id))


@twins.get("/twins/<twin_id>/preview.png")
@require_key(*GRANT_READERS)
@twins.doc(security=SECURITY, responses={200: {"description": "the preview",
                                               "content": {"image/png": {}}},
                                         304: "not modified", 404: "no such twin",
                                         410: "its creation consent has ended"})
def preview(twin_id: str):
    """The twin's preview render (with content credentials); a use of its creation consent."""
    twin = find_twin(twin_id)
    try:
        grant = authorize_preview(twin.id, blob_store())
    except ConsentError as e:
        raise ProblemError(e.status, "Gone" if e.status == 410 else "Forbidden", e.detail,
                           "twin_id", consent=e.grant_id) from None
    digest = preview_digest(twin.id) if twin.status == "ready" else None
    if digest is None:
        raise ProblemError(404, "Not Found", f"twin {twin.id} has no preview ({twin.status})",
                           "twin_id")
    if request.if_none_match.contains(digest):
        response = Response(status=304)
    else:
        try:
            response = Response(blob_store().get(digest), mimetype="image/png")
        except NotFound:
            raise ProblemError(404, "Not Found", "the preview is no longer stored", "twin_id") from None
    response.set_etag(digest)
    response.headers["Cache-Control"] = TWIN_CACHE_CONTROL
    key = g.api_key
    log_use(twin.id, grant, kind="preview", channel="internal", api_key_id=key.id,
            origin=bound_origin(g.get("api_key")), content_hash=digest)
    return response


@twins.get("/twins/<twin_id>/usage")
@require_key(*GRANT_READERS)
@twins.input(UsageQuery, location="query")
@twins.doc(security=SECURITY, responses={200: {"description": "uses and pay owed",
                                               "content": {"application/json": {}, "text/csv": {}}},
                                         404: "no such twin", 422: "bad dates"})
def usage(twin_id: str, query_data):
    """Every use of a twin in ``[from, to)`` and the amount owed per grant at its rate."""
    twin = find_twin(twin_id)
    try:
        start = parse_when(query_data["from_"]) if query_data.get("from_") else None
        end = parse_when(query_data["to"], end=True) if query_data.get("to") else None
    except InvalidGrant as e:
        raise ProblemError(422, "Unprocessable Entity", str(e),
                           "from" if e.field == "starts_at" else "to") from None
    with session_scope() as session:
        rows = report(session, start, end, twin_id=twin.id)
        entries = [{"seq": e.seq, "at": e.at.isoformat(), "grant": e.grant_id, "key": e.api_key_id,
                    "origin": e.origin, "channel": e.channel, "kind": e.kind,
                    "content_hash": e.content_hash, "entry_hash": e.entry_hash}
                   for e in entries_between(session, start, end, twin.id, limit=10_000)]
    if query_data["format"] == "csv":
        return Response(report_csv(rows), mimetype="text/csv",
                        headers={"Cache-Control": "private, no-store"})
    return {"twin": twin.id, "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None, "uses": len(entries), "grants": rows,
            "entries": entries}
