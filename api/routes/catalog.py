"""Catalog: ``POST /v1/catalog/prerender``, renders of garments x avatars x sizes x views as a batch.

The batch is one job (kind ``batch``) whose children are render jobs
(``tryon.outputs.catalog``); the answer is 202 with ``Location: /v1/jobs/{batch id}``,
where the batch's progress (done of total, failed children listed) is read.
At most ``MAX_BATCH_RENDERS`` renders per batch.
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Integer, List, String
from apiflask.validators import Length, OneOf, Range

from api.auth import SECURITY, caller_tenant, require_key
from api.errors import ProblemError
from api.extensions import garment_store, job_queue
from api.lookups import find_garment
from api.serving import POLL_AFTER_S
from api.twin_access import authorize_twin
from avatars.library import library
from garments.sizes import normalize_size
from tryon.core.errors import NotFound
from tryon.outputs.catalog import (
    MAX_BATCH_RENDERS,
    BatchTooLarge,
    create_prerender_batch,
    plan_renders,
)
from tryon.render.params import MAX_SIZE, MEDIA_TYPES
from tryon.render.views import VIEWS
from tryon.storage.models import CHANNELS

catalog = APIBlueprint("catalog", __name__, url_prefix="/v1", tag="Catalog")

class PrerenderIn(Schema):
    garments = List(String(validate=Length(1, 100)), required=True, validate=Length(1, 200))
    avatars = List(String(validate=Length(1, 100)), validate=Length(1, 500),
                   metadata={"description": "library avatar ids, or digital twins a consent lets "
                                            "this key use (default: every library avatar)"})
    sizes = List(String(validate=Length(1, 10)), validate=Length(1, 50),
                 metadata={"description": "sizes to render (default: every size of each garment)"})
    views = List(String(validate=OneOf(list(VIEWS))), load_default=lambda: ["front"],
                 validate=Length(1, len(VIEWS)))
    width = Integer(load_default=512, validate=Range(1, MAX_SIZE))
    height = Integer(load_default=768, validate=Range(1, MAX_SIZE))
    format = String(load_default="png", validate=OneOf(list(MEDIA_TYPES)))
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of these uses (default e-commerce)"})


class PrerenderOut(Schema):
    job = String()
    status = String()
    location = String()
    total = Integer(metadata={"description": "renders in the batch"})


def _unique(items):
    return list(dict.fromkeys(items))


@catalog.post("/catalog/prerender")
@require_key("merchant")
@catalog.input(PrerenderIn)
@catalog.output(PrerenderOut, status_code=202)
@catalog.doc(security=SECURITY, responses={
    202: "queued: poll the batch job at Location", 404: "unknown avatar or garment",
    422: f"invalid parameters, or more than {MAX_BATCH_RENDERS} renders"})
def prerender(json_data):
    """Queue renders of garments x avatars x sizes x views as one batch job."""
    avatars = _unique(json_data.get("avatars") or list(library()))
    twin_uses = {}  # a twin's catalog renders are uses of its model's consent: 403/410, ledgered
    for avatar in avatars:
        use = authorize_twin(avatar, json_data.get("channel"), "avatars")
        if use is not None:
            twin_uses[avatar] = {"key": use.key_id, "origin": use.origin, "channel": use.channel}
        elif library().get(avatar) is None:
            raise ProblemError(404, "Not Found", f"no library avatar {avatar!r}", "avatars")
    wanted = [normalize_size(s, "sizes") for s in json_data.get("sizes") or []]
    garments = {}
    for garment_id in _unique(json_data["garments"]):
        garment = find_garment(garment_id, "garments")
        sizes = [s for s in _unique(wanted) if s in garment.sizes] if wanted else list(garment.sizes)
        if not sizes:
            raise ProblemError(422, "Unprocessable Entity", f"garment {garment.id!r} has none of "
                               f"the sizes {', '.join(wanted)}", "sizes")
        garments[garment.id] = sizes
    try:
        renders = plan_renders(garments, avatars, _unique(json_data["views"]),
                               json_data["width"], json_data["height"], json_data["format"])
        renders = [{**r, "ledger": twin_uses[r["avatar"]]} if r["avatar"] in twin_uses else r
                   for r in renders]
        batch_id = create_prerender_batch(job_queue(), renders, garments=garment_store(), request={
            "garments": list(garments), "avatars": avatars, "views": json_data["views"],
            "tenant": caller_tenant()})
    except BatchTooLarge as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), "garments",
                           limit=e.limit, renders=e.count) from None
    except NotFound as e:
        raise ProblemError(404, "Not Found", str(e.args[0] if e.args else e), "garments") from None
    location = f"/v1/jobs/{batch_id}"
    return ({"job": batch_id, "status": "running", "location": location, "total": len(renders)},
            202, {"Location": location, "Retry-After": str(POLL_AFTER_S)})
