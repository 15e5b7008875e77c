"""Jobs and blobs: ``GET /v1/jobs/{id}`` and ``GET /v1/blobs/{digest}``.

A job's state is read from the database (``tryon.jobs.queue``), whichever runner
runs it. A done render job points at its image as a blob URL,
``/v1/blobs/{digest}``, which serves the bytes with their media type and
the caching headers of a content-addressed URL. Only render outputs are
served as blobs (garment files share the store and stay private).

"""

from __future__ import annotations


from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Integer, List, String
from flask import g, request
from sqlalchemy import select

from api.auth import READ_ROLES, SECURITY, caller_sees, is_secret_caller, require_key
from api.errors import ProblemError
from api.extensions import garment_store, job_queue
from api.serving import POLL_AFTER_S, link_credentials, send_blob
from api.twin_access import authorize_twin, finish_twin_response, usage_kind
from tryon.core.errors import CODES, NotFound
from tryon.outputs.catalog import batch_state
from tryon.outputs.garment_import import GARMENT_IMPORT
from tryon.outputs.pattern_import import PATTERN_IMPORT
from tryon.outputs.tasks import GLB_MEDIA_TYPE, USDZ_MEDIA_TYPE
from tryon.outputs.video import VIDEO
from tryon.storage.database import session_scope
from tryon.storage.models import Job, RenderRecord, TwinOutput

jobs = APIBlueprint("jobs", __name__, url_prefix="/v1", tag="Jobs")


class ProgressOut(Schema):
    done = Integer()
    total = Integer()


class JobOut(Schema):
    id = String()
    kind = String()
    status = String(metadata={"description": "queued, running, done or failed"})
    progress = Dict(metadata={"description": "{done, total}: parts finished (batches)"})
    result_url = String(allow_none=True, metadata={"description": "where a done job's output is"})
    media_type = String(allow_none=True)
    error = String(allow_none=True, metadata={"description": "why a failed job failed"})
    error_code = String(allow_none=True, metadata={
        "description": "what kind of failure, for programs: " + ", ".join(CODES)})
    failed = List(Dict(), metadata={"description": "a batch's failed renders, with their reasons"})
    created_at = String()
    finished_at = String(allow_none=True)


def result_url(job: Job) -> str | None:
    """Where a done job's output can be fetched."""
    if job.status != "done" or not job.result:
        return None
    if job.kind in ("render", "scene", "fit", VIDEO, GARMENT_IMPORT, PATTERN_IMPORT):
        return f"/v1/blobs/{job.result}"
    return None


def describe_job(job: Job) -> dict:
    done, total = job.progress_done or 0, job.progress_total or 1
    if job.kind == "batch":
        state = batch_state(job.id)
        if state is not None:
            return {"id": job.id, "kind": job.kind, "status": state["status"],
                    "progress": {"done": state["done"], "total": state["total"]},
                    "result_url": None, "media_type": None, "error": state["error"],
                    "error_code": None,
                    "failed": state["failed"],
                    "created_at": job.created_at.isoformat() if job.created_at else None,
                    "finished_at": state["finished_at"]}
    if job.batch_id is None:
        # a batch's progress is its children's, when it has any
        with session_scope() as session:
            children = session.execute(select(Job.status).where(Job.batch_id == job.id)).scalars().all()
        if children:
            done, total = sum(s in ("done", "failed") for s in children), len(children)
    media_type = None
    if job.status == "done" and job.result:
        with session_scope() as session:
            media_type = session.scalars(select(RenderRecord.media_type)
                                         .where(RenderRecord.digest == job.result)).first()
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "progress": {"done": done, "total": total}, "result_url": result_url(job),
            "media_type": media_type, "error": job.error if job.status == "failed" else None,
            "error_code": job.error_code if job.status == "failed" else None,
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


def _job_visible(job: Job) -> bool:
    """Another tenant's jobs do not exist to the caller: a job is its tenant's (a
    catalog batch, a garment import) or its garment's tenant's (a render, a
    fit); one of neither (a bare body's render) is anyone's."""
    params = job.params or {}
    tenant = params.get("tenant") or (params.get("request") or {}).get("tenant")
    if tenant is None and params.get("garment"):
        try:
            tenant = garment_store().get(params["garment"]).tenant
        except NotFound:  # deleted since: its jobs are nobody's but the admins'
            return caller_sees(None) and g.api_key.role == "admin"
    return caller_sees(tenant)


@jobs.get("/jobs/<job_id>")
@require_key(*READ_ROLES)
@jobs.output(JobOut)
@jobs.doc(security=SECURITY, responses=[404])
def get_job(job_id: str):
    """A job's state: queued, running, done (with its result URL) or failed (with the reason)."""
    job = job_queue().get(job_id) if len(job_id) <= 36 else None
    if job is None or not _job_visible(job):
        raise ProblemError(404, "Not Found", f"no job {job_id!r}", "job_id")
    if job.status in ("queued", "running"):
        g.retry_after = POLL_AFTER_S  # api.limits keeps it on the answer
    return describe_job(job)


def _visible(record) -> bool:
    """Whether the caller may have an indexed output: a private one (an import's
    report) only its tenant's merchants and admins; a render of no garment or
    of a published one anyone; a draft's its tenant's merchants and admins."""
    if record.private:
        return is_secret_caller() and caller_sees(record.tenant_id)
    if record.garment_id is None:
        return True
    try:
        garment = garment_store().get(record.garment_id)
    except NotFound:  # deleted since
        return False
    return garment.status == "published" or (is_secret_caller() and caller_sees(garment.tenant))


@jobs.get("/blobs/<digest>")
@require_key(*READ_ROLES)
@jobs.doc(security=SECURITY, responses={200: {"description": "the bytes, with their media type",
                                              "content": {"image/png": {}, "image/jpeg": {},
                                                          "image/webp": {}, "model/gltf-binary": {},
                                                          "application/json": {},
                                                          "application/c2pa": {}, "video/mp4": {},
                                                          "model/vnd.usdz+zip": {},
                                                          "video/webm": {}}},
                                        304: "not modified", 404: "no such output"})
def get_blob(digest: str):
    """An output's bytes (a render, a GLB, a video, a fit report, a sidecar manifest) by
    their sha256, cacheable forever; Range requests answered (206).
    Publishable keys get outputs of published garments (or of none) only."""
    with session_scope() as session:  # one query: the output's records and its twin, if any
        records = session.execute(
            select(RenderRecord.cache_key, RenderRecord.media_type, RenderRecord.garment_id,
                   RenderRecord.private, RenderRecord.tenant_id, TwinOutput.twin_id)
            .outerjoin(TwinOutput, TwinOutput.digest == RenderRecord.digest)
            .where(RenderRecord.digest == digest)).all()
    if not any(_visible(r) for r in records):
        raise ProblemError(404, "Not Found", f"no output {digest!r}", "digest")
    media_type = records[0].media_type
    # A digital twin's output: only under its consent, ledgered, never cached publicly
    twin = next((r.twin_id for r in records if r.twin_id is not None), None)
    use = authorize_twin(twin, request.args.get("channel"), "digest") if twin else None
    answer = send_blob(digest, media_type, etag=digest)
    if media_type in (GLB_MEDIA_TYPE, USDZ_MEDIA_TYPE, "video/webm"):  # where a twin's sidecar is
        answer = link_credentials(answer, records[0].cache_key)
    return finish_twin_response(answer, use, usage_kind(media_type))


