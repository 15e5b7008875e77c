"""Fit: how one size of a garment fits one avatar, region by region.

Answers each region's verdict (loose, fits, tight) with its mean stretch
and ease, the advice sentence and the recommended size. The report is a
content-addressed output like a render (``tryon.outputs.tasks.fit_key``: the
body, the garment size's file, the draping and fit-analysis versions): the
first request for an (avatar, garment, size) queues a fit job (a drape,
about a second on CPU) and waits up to the render budget, else answers 202
with the job's URL; later ones are answered from the store with a strong
ETag. The drape never runs on the request thread (DESIGN.md decision 2).
"""

from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Float, List, Nested, String
from apiflask.validators import Length, OneOf

from api.auth import READ_ROLES, SECURITY, require_key
from api.extensions import garment_store
from api.lookups import render_params
from api.serving import content_addressed
from api.twin_access import authorize_twin, finish_twin_response
from tryon.outputs.tasks import fit_key
from tryon.storage.models import CHANNELS

fit = APIBlueprint("fit", __name__, url_prefix="/v1", tag="Fit")


class FitQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(required=True, validate=Length(1, 100))
    size = String(required=True, validate=Length(1, 10))
    key = String(metadata={"description": "a publishable key, for plain URLs"})
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of this use (default e-commerce)"})


class RegionOut(Schema):
    region = String()
    verdict = String(metadata={"description": "loose, fits or tight"})
    mean_stretch = Float()
    extra_ease_cm = Float(allow_none=True)
    hem_shift_pct = Float(allow_none=True)


class FitOut(Schema):
    avatar = String()
    garment = String()
    size = String()
    regions = List(Nested(RegionOut))
    advice = String()
    recommended_size = String(allow_none=True)
    stats = Dict()


class QueuedOut(Schema):
    job = String()
    status = String()
    location = String()


@fit.get("/fit")
@require_key(*READ_ROLES)
@fit.input(FitQuery, location="query")
@fit.doc(security=SECURITY, responses={
    200: {"description": "the fit report", "content": {"application/json": {"schema": FitOut}}},
    202: {"description": "queued: poll the job at Location, then ask again",
          "content": {"application/json": {"schema": QueuedOut}}},
    304: "not modified", 404: "unknown avatar or garment", 422: "invalid parameters"})
def fit_report(query_data):
    """Per-region verdicts, advice and the recommended size for one avatar in one size;
    202 with the job's URL if the drape takes longer than the request's budget."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    params = render_params({**query_data, "view": "front", "width": 1, "height": 1,
                            "format": "png", "fit_map": 0})
    params = {k: params[k] for k in ("avatar", "garment", "size")}
    key = fit_key(params, garment_store())
    return finish_twin_response(content_addressed("fit", params, key), use, None, key)
