"""Rate limits: per API key and per client IP, over every /v1 route together.

``LIMITS`` holds the defaults; ``$TRYON_RATELIMIT_PER_KEY`` and
``$TRYON_RATELIMIT_PER_IP`` (limits' notation: ``600/minute``) change the
first two for a deployment; ``RATELIMIT_PER_KEY``, ``RATELIMIT_PER_IP`` and
``RATELIMIT_NEW_BODY_PER_IP`` (``POST /v1/avatars``, a body from
measurements: half a second of CPU on a public key) in the app config
override them. Counters live in ``$TRYON_RATELIMIT_STORAGE``
(``RATELIMIT_STORAGE_URI`` in the app config), by default a SQLite file in
the data dir that every server process of the machine shares
(``api.rate_counters``), so the limit enforced is the limit documented
however many workers serve; ``redis://host:6379`` shares them between
machines. Health, readiness and metrics, CORS preflights, the widget's
files and the demo pages spend no budget. A request over a limit answers
429 with ``Retry-After`` (seconds) and the ``X-RateLimit-*`` headers.

The per-key counter is keyed by a hash of the presented key, not its public
prefix, so nobody can spend another site's budget by sending its prefix
with a wrong secret. Behind a reverse proxy, set ``$TRYON_TRUSTED_PROXIES``
to the number of proxies (``api.trust_proxies``), or every client shares
the proxy's IP budget.
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many

from api.rate_counters import SQLiteCounters
from api.auth import presented_key
from api.extensions import settings_of

LIMITS = {"per_key": "600/minute", "per_ip": "300/minute",
          # a body from measurements costs about 0.5 s of CPU, on a public key
          "new_body_per_ip": "20/minute"}
COUNTERS_FILE = "ratelimits.sqlite3"  # in the data dir, shared by the machine's server processes


_EXEMPT_PATHS = ("/healthz", "/readyz", "/metrics")


def _key_identity() -> str:
    token, _ = presented_key()
    if token is None:
        return f"ip:{get_remote_address()}"
    return "key:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _exempt() -> bool:
    return (request.method == "OPTIONS" or request.path in _EXEMPT_PATHS
            or not request.path.startswith("/v1/"))


def init_limits(app: Flask) -> Limiter:
    """Attach a limiter to ``app``, counting in its settings' storage."""
    config = settings_of(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", config.ratelimit_storage
                          or f"{SQLiteCounters.STORAGE_SCHEME[0]}://{config.data_dir / COUNTERS_FILE}")
    for name, value in (("RATELIMIT_PER_KEY", config.ratelimit_per_key),
                        ("RATELIMIT_PER_IP", config.ratelimit_per_ip)):
        if value is not None:
            try:
                parse_many(value)
            except ValueError:
                raise ValueError(f"TRYON_{name} must read like 300/minute, got {value!r}") from None
            app.config.setdefault(name, value)
    limiter = Limiter(
        get_remote_address,
        application_limits=[
            # exempt_when on each limit: flask-limiter 4 ignores application_limits_exempt_when
            # for limits built as ApplicationLimit objects
            ApplicationLimit(limit_provider=lambda: current_app.config.get(
                "RATELIMIT_PER_KEY", LIMITS["per_key"]), key_function=_key_identity,
                scope="per-key", exempt_when=_exempt),
            ApplicationLimit(limit_provider=lambda: current_app.config.get(
                "RATELIMIT_PER_IP", LIMITS["per_ip"]), scope="per-ip", exempt_when=_exempt),
            ApplicationLimit(limit_provider=lambda: current_app.config.get(
                "RATELIMIT_NEW_BODY_PER_IP", LIMITS["new_body_per_ip"]), scope="new-body",
                exempt_when=lambda: not (request.method == "POST" and request.path == "/v1/avatars")),
        ],
        headers_enabled=True,
    )
    # after_request hooks run last-registered first: this one runs after the limiter's
    app.after_request(_retry_after_only_on_429)
    limiter.init_app(app)
    return limiter


def _retry_after_only_on_429(response):
    # flask-limiter sends Retry-After on every answer; it means "wait" only on a 429,
    # or where a view asked for it (g.retry_after: a 202 whose job is not done yet)
    if response.status_code != 429:
        response.headers.pop("Retry-After", None)
        if g.get("retry_after") is not None:
            response.headers["Retry-After"] = str(g.retry_after)
    return response
