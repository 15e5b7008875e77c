"""Catalog prerender: one batch job whose children render garments x avatars x sizes x views.

``create_prerender_batch`` writes the batch job (kind ``batch``, never run by
a runner: its state is its children's) and one ``render`` child per
combination (``batch_id`` = the batch), all in one transaction, then hands
the new children to the queue. Children are content-addressed like
``/v1/render``: a render already stored becomes a child that is done at
once; a render already queued or running outside any batch is adopted as
a child rather than queued twice; the rest are queued with their render key
as dedupe key. ``batch_state`` reads a batch's progress and marks it done
once every child is done or failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from garments.store import GarmentStore
from tryon.core.errors import ConsentError, Invalid, error_code
from tryon.jobs.queue import ACTIVE, DEDUPE_PARAM, describe_error
from tryon.outputs.avatar_lookup import resolve_avatar  # library bodies, measured, twins
from tryon.outputs.keys import avatar_appearance, avatar_hair, normalize_render_params, render_key
from tryon.storage.blobs import open_blob_store
from tryon.storage.database import write_scope
from tryon.storage.models import Job, RenderRecord, utcnow
from tryon.twins.access import log_catalog_use

#: The most renders one batch may ask for.
MAX_BATCH_RENDERS = 2000
BATCH_KIND = "batch"


class BatchTooLarge(Invalid):
    """More renders than one batch may hold (``MAX_BATCH_RENDERS``)."""

    def __init__(self, count: int):
        super().__init__(f"the batch asks for {count} renders; at most {MAX_BATCH_RENDERS} "
                         "renders per batch", "garments")
        self.count, self.limit = count, MAX_BATCH_RENDERS


def plan_renders(garments: Mapping[str, Sequence[str]], avatars: Sequence[str],
                 views: Sequence[str], width: int, height: int, fmt: str) -> list[dict[str, Any]]:
    """Render params for every garment size x avatar x view; BatchTooLarge past the limit.

    garments: garment id -> the sizes to render.
    """
    count = sum(len(sizes) for sizes in garments.values()) * len(avatars) * len(views)
    if count > MAX_BATCH_RENDERS:
        raise BatchTooLarge(count)
    return [{"avatar": avatar, "garment": garment, "size": size, "view": view,
             "width": width, "height": height, "format": fmt}
            for garment, sizes in garments.items() for size in sizes
            for avatar in avatars for view in views]


def render_keys(renders: Iterable[Mapping[str, Any]], garments: GarmentStore) -> list[str]:
    """The content-addressed key of each render (looking each avatar and size up once)."""
    avatars: dict[str, Any] = {}
    digests: dict[tuple[str, str], str] = {}
    keys = []
    for params in renders:
        p = normalize_render_params(params)
        if p["avatar"] not in avatars:
            avatars[p["avatar"]] = resolve_avatar(p["avatar"])
        size_key = (p["garment"], p["size"])
        if size_key not in digests:
            digests[size_key] = garments.size_digest(*size_key)
        avatar = avatars[p["avatar"]]
        keys.append(render_key(p, avatar.shape, digests[size_key], hair=avatar_hair(avatar),
                               appearance=avatar_appearance(avatar)))
    return keys


def create_prerender_batch(queue, renders: Sequence[Mapping[str, Any]], garments: GarmentStore,
                           request: Mapping[str, Any] | None = None) -> str:
    """Create the batch and its render children, dispatch the new ones; return the batch id."""
    if len(renders) > MAX_BATCH_RENDERS:
        raise BatchTooLarge(len(renders))
    keys = render_keys(renders, garments)
    blobs = open_blob_store(queue.config)
    to_dispatch: list[str] = []
    catalog_uses: list[tuple[str, Mapping[str, Any], str]] = []  # (child job, params, digest)
    with write_scope() as session:
        stored = _stored_renders(session, keys)
        active = {dedupe: (job_id, batch_id) for job_id, dedupe, batch_id in session.execute(
            select(Job.id, Job.params[DEDUPE_PARAM].as_string(), Job.batch_id)
            .where(Job.kind == "render", Job.status.in_(ACTIVE)))}
        now = utcnow()
        batch = Job(kind=BATCH_KIND, status="running", started_at=now,
                    params={"request": dict(request or {}), "renders": len(renders)},
                    progress_done=0, progress_total=len(renders))
        session.add(batch)
        session.flush()
        for params, key in zip(renders, keys):
            child_params = {**params, DEDUPE_PARAM: key}
            digest = stored.get(key)
            if digest is not None and blobs.exists(digest):
                child = Job(kind="render", params=child_params, status="done", result=digest,
                            batch_id=batch.id, started_at=now, finished_at=now,
                            progress_done=1, progress_total=1)
                session.add(child)
                if params.get("ledger"):  # a twin's catalog render is a use, stored or not
                    session.flush()
                    catalog_uses.append((child.id, params, digest))
                continue
            running = active.get(key)
            # (a twin's catalog render runs as its own child: its task writes the ledger entry)
            if running is not None and running[1] is None and not params.get("ledger"):
                session.execute(update(Job).where(Job.id == running[0]).values(batch_id=batch.id))
                active[key] = (running[0], batch.id)
                continue
            child = Job(kind="render", params=child_params, status="queued", batch_id=batch.id)
            session.add(child)
            session.flush()
            to_dispatch.append(child.id)
        batch_id = batch.id
    for child_id, params, digest in catalog_uses:
        try:
            log_catalog_use(params["avatar"], params["ledger"], digest, blobs)
        except ConsentError as error:  # consent ended since the request was allowed
            _fail_child(child_id, error)
    for job_id in to_dispatch:
        queue.dispatch(job_id)
    return batch_id


def _fail_child(job_id: str, error: ConsentError) -> None:
    """A stored render whose use no consent covers any more: its child fails with the
    reason (the batch answers the others), and it is not served."""
    with write_scope() as session:
        session.execute(update(Job).where(Job.id == job_id).values(
            status="failed", result=None, error=describe_error(error),
            error_code=error_code(error), finished_at=utcnow()))


def _stored_renders(session: Session, keys: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        rows = session.execute(select(RenderRecord.cache_key, RenderRecord.digest)
                               .where(RenderRecord.cache_key.in_(chunk))).all()
        found.update((key, digest) for key, digest in rows)
    return found


def batch_state(batch_id: str) -> dict[str, Any] | None:
    """A batch's progress {done, total}, its failed children, and its status; a batch
    whose children are all done or failed is marked done. None if there is no such batch."""
    with write_scope() as session:
        batch = session.get(Job, batch_id)
        if batch is None or batch.kind != BATCH_KIND:
            return None
        children = session.execute(select(Job.id, Job.status, Job.error, Job.error_code, Job.params)
                                   .where(Job.batch_id == batch_id)).all()
        total = max(batch.progress_total or 0, len(children))
        finished = [c for c in children if c.status in ("done", "failed")]
        failed = [{"job": c.id, "error": c.error, "error_code": c.error_code,
                   **{k: c.params.get(k) for k in ("avatar", "garment", "size", "view")}}
                  for c in children if c.status == "failed"]
        if batch.status == "running" and len(finished) >= total:
            batch.status, batch.finished_at = "done", utcnow()
            if failed:
                batch.error = f"{len(failed)} of {total} renders failed"
        batch.progress_done = len(finished)
        return {"status": batch.status, "done": len(finished), "total": total, "failed": failed,
                "error": batch.error,
                "finished_at": batch.finished_at.isoformat() if batch.finished_at else None}
