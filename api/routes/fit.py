"""Fit: how a garment fits one avatar, every size, and the one size to buy.

``GET /v1/fit?avatar=&garment=`` answers every size's verdicts (loose, fits,
tight per region, in words) and one recommendation (``tryon.fit.advice``):
the size, a confidence, a "between sizes" alternative, the reasons. With
``&size=`` it answers that size's report, with the same recommendation:
the advice never depends on the size on screen.

Each size's report is a content-addressed output like a render
(``tryon.outputs.tasks.fit_key``: the body, the size's file, the draping and
fit-analysis versions). A request queues the drape of every size not
stored yet (jobs run in parallel across workers) and waits up to the render
budget (``CHART_FIRST_S`` when the garment has a size chart); while drapes
run it answers 202 with ``Location`` (a running job) and, with a chart, the
recommendation from the chart alone (``basis: "chart"``). Once every size
is stored the answer is 200 with a strong ETag, revalidated on every use
(``no-cache``: a new size chart changes the answer at the same URL). The
drape never runs on the request thread (DESIGN.md decision 2).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, Float, List, Nested, String
from apiflask.validators import Length, OneOf
from flask import Response, g, jsonify, request

from api.auth import READ_ROLES, SECURITY, caller_tenant, require_key
from api.errors import ProblemError
from api.extensions import blob_store, garment_store, job_queue
from api.lookups import find_garment, render_params
from api.serving import POLL_AFTER_S, cached, render_budget_s
from api.twin_access import authorize_twin, finish_twin_response
from garments.size_chart import parse_size_chart
from garments.sizes import normalize_size
from tryon.core.errors import CODES
from tryon.fit.advice import drape_verdict, reasons, recommend
from tryon.outputs.avatar_lookup import find_avatar
from tryon.outputs.tasks import fit_key
from tryon.storage.api_keys import has_role
from tryon.storage.database import session_scope
from tryon.storage.fit_outcomes import match_rates, record_outcome
from tryon.storage.models import CHANNELS

fit = APIBlueprint("fit", __name__, url_prefix="/v1", tag="Fit")

ADVICE_VERSION = "1"  # bump when tryon.fit.advice answers differently
REVALIDATE = "public, no-cache"
JOB_POLL_S = 0.1  # how often a waiting request looks at its drape jobs
CHART_FIRST_S = 1.0  # with a size chart, the longest a shopper waits for a first answer


class FitQuery(Schema):
    avatar = String(required=True, validate=Length(1, 100))
    garment = String(required=True, validate=Length(1, 100))
    size = String(validate=Length(1, 10), metadata={
        "description": "one size's report (the recommendation is the same without it)"})
    key = String(metadata={"description": "a publishable key, for plain URLs"})
    channel = String(validate=OneOf(list(CHANNELS)), metadata={
        "description": "digital twins: the channel of this use (default e-commerce)"})


class RegionOut(Schema):
    region = String()
    verdict = String(metadata={"description": "loose, fits or tight (length: short, fits, long)"})
    mean_stretch = Float()
    extra_ease_cm = Float(allow_none=True)
    hem_shift_pct = Float(allow_none=True)
    slid_cm = Float(allow_none=True, metadata={
        "description": "cm a waistband slid down (negative: rode up) from where it was designed"})


class RecommendationOut(Schema):
    recommended_size = String(allow_none=True)
    alternative_size = String(allow_none=True, metadata={"description": "between two sizes"})
    summary = String(metadata={"description": '"M, or L if you prefer it looser"'})
    confidence = Float(metadata={"description": "0-1"})
    basis = String(metadata={"description": "chart and drapes, chart, drapes or pending"})
    chart_position = Float(allow_none=True)
    sizes = Dict(metadata={"description": "size -> tight, fits, loose (drapes), chart only, pending"})
    pending = List(String())
    reasons = List(String(), metadata={"description": "the recommended size, region by region"})
    id = String(allow_none=True, metadata={
        "description": "quote it in POST /v1/fit/outcomes with the size bought"})


class FitOut(Schema):
    avatar = String()
    garment = String()
    size = String(metadata={"description": "with size=: the size reported"})
    regions = List(Nested(RegionOut))
    reasons = List(String())
    advice = String()
    recommended_size = String(allow_none=True)
    recommendation = Nested(RecommendationOut)
    sizes = Dict(metadata={"description": "without size=: size -> {verdict, regions, reasons}"})
    stats = Dict()


class OutcomeIn(Schema):
    recommendation = String(required=True, validate=Length(1, 400), metadata={
        "description": "the recommendation's id, as GET /v1/fit gave it"})
    bought_size = String(required=True, validate=Length(1, 16))


class OutcomeQuery(Schema):
    garment = String(validate=Length(1, 200))


@fit.get("/fit")
@require_key(*READ_ROLES)
@fit.input(FitQuery, location="query")
@fit.doc(security=SECURITY, responses={
    200: {"description": "the fit of every size (or one) and the recommended size",
          "content": {"application/json": {"schema": FitOut}}},
    202: "drapes still running: poll the job at Location, then ask again; with a size chart "
         "the body has the chart's recommendation meanwhile",
    304: "not modified", 404: "unknown avatar or garment", 422: "invalid parameters"})
def fit_report(query_data):
    """Every size's fit on one avatar and the size to buy (the same whatever ``size``
    asks about); 202 with a job's URL while drapes run."""
    use = authorize_twin(query_data["avatar"], query_data.get("channel"))  # twins: 403/410
    garment = find_garment(query_data["garment"], "garment")
    asked = query_data.get("size")
    params = render_params({**query_data, "size": asked or garment.sizes[0], "view": "front",
                            "width": 1, "height": 1, "format": "png", "fit_map": 0})
    store = garment_store()
    per_size = {s: {"avatar": params["avatar"], "garment": garment.id, "size": s}
                for s in garment.sizes}
    keys = {s: fit_key(p, store) for s, p in per_size.items()}
    chart = None if garment.size_chart is None else parse_size_chart(garment.size_chart)
    etag = hashlib.sha256(json.dumps([ADVICE_VERSION, keys, garment.size_chart,
                                      asked and params["size"]]).encode()).hexdigest()
    if request.if_none_match.contains(etag):
        response = Response(status=304, headers={"Cache-Control": REVALIDATE})
        response.set_etag(etag)
        return finish_twin_response(response, use, None)
    # with a chart there is an answer at once: wait less for the drapes, say it, poll
    budget = render_budget_s() if chart is None else min(render_budget_s(), CHART_FIRST_S)
    reports, jobs = _reports(per_size, keys, budget)
    body = find_avatar(params["avatar"])
    advice = recommend(garment.category, garment.sizes, body.measurements, reports, chart)
    advice["id"] = recommendation_id(garment.id, advice)
    if jobs:
        first = next(iter(jobs.values()))
        g.retry_after = POLL_AFTER_S
        return {"avatar": params["avatar"], "garment": garment.id, "status": "running",
                "job": first, "location": f"/v1/jobs/{first}", "recommendation": advice}, 202, {
            "Location": f"/v1/jobs/{first}", "Retry-After": str(POLL_AFTER_S),
            "Cache-Control": "no-store"}
    document = {"avatar": params["avatar"], "garment": garment.id, "recommendation": advice,
                "recommended_size": advice["recommended_size"], "advice": advice["summary"]}
    if asked:
        size = params["size"]
        document.update(size=size, regions=reports[size]["regions"], stats=reports[size]["stats"],
                        reasons=reasons(reports[size]), advice=_advice_for(size, advice))
    else:
        document["sizes"] = {s: {"verdict": drape_verdict(r, garment.category),
                                 "regions": r["regions"], "reasons": reasons(r)}
                             for s, r in reports.items()}
    response = jsonify(document)
    response.set_etag(etag)
    # the same URL answers anew when the garment's size chart changes: revalidate (304)
    response.headers["Cache-Control"] = REVALIDATE
    return finish_twin_response(response, use, None)


def recommendation_id(garment_id: str, advice: dict) -> str | None:
    """What a store quotes when it reports the size bought: the garment and the sizes
    recommended, readable back (``read_recommendation_id``); no shopper data."""
    if advice["recommended_size"] is None:
        return None
    packed = json.dumps([garment_id, advice["recommended_size"], advice["alternative_size"]],
                        separators=(",", ":")).encode()
    return "fr1." + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def read_recommendation_id(text: str) -> tuple[str, str, str | None]:
    """(garment id, recommended size, alternative size) of a ``recommendation_id``;
    a 422 problem (field ``recommendation``) for anything else."""
    try:
        packed = text[4:] + "=" * (-len(text[4:]) % 4)
        found = json.loads(base64.urlsafe_b64decode(packed)) if text.startswith("fr1.") else None
    except ValueError:  # not base64, not JSON
        found = None
    if not (isinstance(found, list) and len(found) == 3 and isinstance(found[0], str)
            and isinstance(found[1], str) and isinstance(found[2], (str, type(None)))):
        raise ProblemError(422, "Unprocessable Entity", "recommendation is the id GET /v1/fit "
                           "gave with its recommendation (fr1.…)", "recommendation")
    return found[0], found[1], found[2]


@fit.post("/fit/outcomes")
@require_key("merchant")
@fit.input(OutcomeIn)
@fit.output({}, status_code=204)
@fit.doc(security=SECURITY, responses={204: "kept", 404: "no such garment",
                                       422: "not a recommendation id, or a size it does not have"})
def report_outcome(json_data):
    """Report the size a shopper bought after a recommendation (nothing about the
    shopper is sent or kept): what the size match rate is made of."""
    garment_id, recommended, alternative = read_recommendation_id(json_data["recommendation"])
    garment = find_garment(garment_id, "recommendation")
    bought = normalize_size(json_data["bought_size"], "bought_size")
    if bought not in garment.sizes:
        raise ProblemError(422, "Unprocessable Entity", f"bought_size is one of the garment's "
                           f"sizes: {', '.join(garment.sizes)}", "bought_size")
    with session_scope() as session:
        record_outcome(session, caller_tenant(), garment.id, recommended, alternative, bought)
    return ""


@fit.get("/fit/outcomes")
@require_key("merchant")
@fit.input(OutcomeQuery, location="query")
@fit.doc(security=SECURITY)
def outcome_report(query_data):
    """The size match rate: per garment (and per recommended size), purchases after a
    recommendation and how often the recommended size was the one bought."""
    garment = query_data.get("garment")
    if garment is not None:
        garment = find_garment(garment, "garment").id
    tenant = None if has_role(g.api_key, "admin") else caller_tenant()
    with session_scope() as session:
        return {"garments": match_rates(session, tenant, garment)}


def _advice_for(size: str, advice: dict) -> str:
    """What the shopper reads under ``size``: the recommendation, and where this
    size is off when it is not the one recommended."""
    if advice["recommended_size"] in (None, size) or advice["alternative_size"] == size:
        return advice["summary"]
    return f"{advice['sizes'].get(size, '').capitalize()} in {size}; {advice['summary']}"


def _reports(per_size: dict, keys: dict, budget_s: float) -> tuple[dict, dict]:
    """Every size's stored report (None while its drape runs) and the jobs still
    running by size, after queueing the missing ones and waiting up to
    ``budget_s`` for them all."""
    queue, deadline = job_queue(), time.monotonic() + budget_s
    jobs = {}
    for size, params in per_size.items():
        if cached(keys[size]) is None:
            jobs[size] = queue.submit("fit", params, dedupe_key=keys[size])
    while jobs:
        for size, job_id in list(jobs.items()):
            job = queue.get(job_id)
            if job is None or job.status == "done":
                del jobs[size]
            elif job.status == "failed":
                _raise_failed(job)
        if not jobs or time.monotonic() >= deadline:
            break
        time.sleep(JOB_POLL_S)
    reports = {}
    for size, key in keys.items():
        hit = None if size in jobs else cached(key)
        if hit is None and size not in jobs:  # done, yet not stored (purged meanwhile): again
            jobs[size] = queue.submit("fit", per_size[size], dedupe_key=key)
        reports[size] = None if hit is None else json.loads(blob_store().get(hit[0]))
    return reports, jobs


def _raise_failed(job) -> None:
    if job.error_code in ("consent_ended", "consent_required"):
        raise ProblemError(CODES[job.error_code], "Gone" if job.error_code == "consent_ended"
                           else "Forbidden", job.error.split(": ", 1)[-1], "avatar")
    raise ProblemError(503, "Fit failed", f"the fit job failed: {job.error}")
