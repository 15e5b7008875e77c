"""Content-addressed serving: an output by its key, from the store or from a job.

An output (render, GLB, fit report) is named by its content key; the key is
the strong ETag. A stored output is answered at once with immutable caching
(``If-None-Match`` -> 304). Otherwise a job for it is queued, deduplicated on
the key so that many identical requests make it once, and the request waits
up to the render budget (``Settings.render_budget_s``, default 8 s): done in
time -> 200 with the bytes, else 202 with ``Location: /v1/jobs/{id}`` and
``Retry-After``. The work itself runs on the job runner, never on the
request thread (DESIGN.md decision 2).
"""

from __future__ import annotations

import base64

from flask import Response, g, request
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from api.errors import ProblemError
from api.extensions import app_settings, blob_store, job_queue
from tryon.core.errors import CODES, NotFound
from tryon.storage.database import session_scope
from tryon.outputs.stored import sidecar_key
from tryon.storage.models import RenderRecord

IMMUTABLE = "public, max-age=31536000, immutable"
#: Seconds a client is asked to wait before polling an unfinished job again.
POLL_AFTER_S = 1
REPR_DIGEST = "Repr-Digest"
DEFAULT_BUDGET_S = 8.0
_CONSENT_TITLES = {"consent_ended": "Gone", "consent_required": "Forbidden"}


def render_budget_s() -> float:
    """Seconds a request waits for its output's job before answering 202."""
    value = app_settings().render_budget_s
    return DEFAULT_BUDGET_S if value is None else max(0.0, float(value))


def cached(key: str) -> tuple[str, str] | None:
    """(digest, media type) of the output named ``key`` if it is stored whole."""
    with session_scope() as session:
        record = session.get(RenderRecord, key)
        found = (record.digest, record.media_type) if record is not None else None
    return found if found is not None and blob_store().exists(found[0]) else None


def content_addressed(kind: str, params: dict, key: str, budget_s: float | None = None,
                      job_key: str | None = None):
    """The stored output named ``key``, else a ``kind`` job for it (deduplicated on
    ``job_key``, default the key: a video's poster is made by the video's job),
    waited for up to ``budget_s`` (default: the request budget); 202 with its
    URL if not done."""
    if request.if_none_match.contains(key):  # equal keys, equal bytes: the client has them
        return send_blob("", "", etag=key)
    hit = cached(key)
    if hit is None:
        queue = job_queue()
        job_id = queue.submit(kind, params, dedupe_key=job_key or key)
        budget = render_budget_s() if budget_s is None else budget_s
        job = queue.wait(job_id, budget) if budget > 0 else queue.get(job_id)
        if job is not None and job.status == "failed":
            if job.error_code in _CONSENT_TITLES:  # a twin's consent ended, or never covered this
                raise ProblemError(CODES[job.error_code], _CONSENT_TITLES[job.error_code],
                                   job.error.split(": ", 1)[-1], "avatar")
            raise ProblemError(503, "Render failed", f"the {kind} job failed: {job.error}")
        if job is not None and job.status == "done":
            hit = cached(key)
        if hit is None:
            g.retry_after = POLL_AFTER_S
            return {"job": job_id, "status": job.status if job else "queued",
                    "location": f"/v1/jobs/{job_id}"}, 202, {
                "Location": f"/v1/jobs/{job_id}", "Retry-After": str(POLL_AFTER_S),
                "Cache-Control": "no-store"}
    return send_blob(hit[0], hit[1], etag=key)


def send_blob(digest: str, media_type: str, etag: str) -> Response:
    """The blob's bytes with a strong ETag and immutable caching; 304 if the client has them.

    With its ``digest`` (sha256 hex), the answer says it in ``Repr-Digest``
    (RFC 9530): clients can check the bytes, and the ledger need not hash them.
    Range requests get the bytes asked for (206; 416 beyond the end), as a
    video player seeking asks (werkzeug's ``make_conditional``).
    """
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            data = blob_store().get(digest)
        except NotFound:
            raise ProblemError(404, "Not Found", "the output is no longer stored", "digest") from None
        response = Response(data, mimetype=media_type)
        response.set_etag(etag)
        try:
            response.make_conditional(request, accept_ranges=True, complete_length=len(data))
        except RequestedRangeNotSatisfiable:
            raise ProblemError(416, "Range Not Satisfiable",
                               f"the output is {len(data)} bytes; ask for a range within them",
                               "Range", headers={"Content-Range": f"bytes */{len(data)}"}) from None
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMMUTABLE
    if digest:
        response.headers[REPR_DIGEST] = f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
    return response


def link_credentials(response, key: str):
    """Point the answer for the output named ``key`` (a GLB) to its sidecar manifest
    (``tryon.twins.sidecar``), if it has one: ``Link: <...>; rel="c2pa-manifest"``,
    as the C2PA specification asks of a manifest delivered beside an asset. A 202
    (a job's tuple) passes unchanged."""
    if isinstance(response, Response) and response.status_code in (200, 304):
        found = cached(sidecar_key(key))
        if found is not None:
            response.headers["Link"] = f'</v1/blobs/{found[0]}>; rel="c2pa-manifest"'
    return response


def served_digest(response: Response) -> str | None:
    """The sha256 (hex) a response's ``Repr-Digest`` gives for its bytes, if it gives one."""
    value = response.headers.get(REPR_DIGEST, "")
    if value.startswith("sha-256=:") and value.endswith(":"):
        return base64.b64decode(value[len("sha-256=:"):-1]).hex()
    return None
