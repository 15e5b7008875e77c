"""Prometheus metrics at ``/metrics``: request counts and latencies.

Each app has its own registry, so several apps in one process (tests) do
not clash. Routes are labelled by their URL rule, not the raw path, so ids
in URLs cannot grow the number of series without bound. ``/metrics`` needs
no key: expose it to the monitoring network only.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

metrics = Blueprint("metrics", __name__)


def init_metrics(app: Flask) -> None:
    registry = CollectorRegistry()
    app.extensions["tryon_metrics"] = {
        "registry": registry,
        "requests": Counter("tryon_http_requests", "HTTP requests answered",
                            ["method", "route", "status"], registry=registry),
        "latency": Histogram("tryon_http_request_duration_seconds", "Time to answer a request",
                             ["method", "route"], registry=registry),
    }
    app.before_request(_start)
    app.after_request(_record)
    app.register_blueprint(metrics)


def _start() -> None:
    g.metrics_start = time.perf_counter()


def _record(response: Response) -> Response:
    start = g.pop("metrics_start", None)
    if start is None:  # a request that failed before the timer started
        return response
    m = current_app.extensions["tryon_metrics"]
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    m["requests"].labels(request.method, route, str(response.status_code)).inc()
    m["latency"].labels(request.method, route).observe(time.perf_counter() - start)
    return response


@metrics.get("/metrics")
def scrape():
    registry = current_app.extensions["tryon_metrics"]["registry"]
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
