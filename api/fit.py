"""Fit: how one size of a garment fits one avatar, region by region.

Answers each region's verdict (loose, fits, tight) with its mean stretch
and ease, the advice sentence and the recommended size. The drape behind
it is cached on disk (``tryon.drape.cached_drape``); the first request for
an (avatar, garment, size) drapes on the request thread, about a second on
CPU. Moving that onto the job queue, with 202 and a job URL when it would
take longer, comes with ``/v1/render``.
"""

from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Float, List, Nested, String
from apiflask.validators import Length

from api.auth import READ_ROLES, SECURITY, require_key
from api.avatars import find_avatar
from api.errors import ProblemError
from api.garments import find_garment, store

fit = APIBlueprint("fit", __name__, url_prefix="/v1", tag="Fit")


class FitQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(required=True, validate=Length(1, 100))
    size = String(required=True, validate=Length(1, 10))


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


@fit.get("/fit")
@require_key(*READ_ROLES)
@fit.input(FitQuery, location="query")
@fit.output(FitOut)
@fit.doc(security=SECURITY, responses=[404, 422])
def fit_report(query_data):
    """Per-region verdicts, advice and the recommended size for one avatar in one size."""
    from tryon.drape import cached_drape

    avatar = find_avatar(query_data["avatar"])
    garment = find_garment(query_data["garment"], "garment")
    size = query_data["size"].strip().upper()
    if size not in garment.sizes:
        raise ProblemError(422, "Unprocessable Entity",
                           f"size must be one of {', '.join(garment.sizes)}", "size")
    drape = cached_drape(avatar, garment.id, size, store=store())
    return {"avatar": avatar.id, "garment": garment.id, "size": size,
            "regions": [asdict(region) for region in drape.fits], "advice": drape.advice,
            "recommended_size": drape.recommended_size, "stats": drape.stats}
