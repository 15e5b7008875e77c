"""Rate limits: per API key and per client IP, over every /v1 route together.

``LIMITS`` holds the defaults; ``RATELIMIT_PER_KEY`` and ``RATELIMIT_PER_IP``
in the app config override them. Counters live in ``$TRYON_RATELIMIT_STORAGE``
(by default in this process's memory, ``SweptMemoryStorage``: each server
process counts on its own; use ``redis://host:6379`` to share counts). A request over a limit answers 429 with
``Retry-After`` (seconds) and the ``X-RateLimit-*`` headers.

The per-key counter is keyed by a hash of the presented key, not its public
prefix, so nobody can spend another site's budget by sending its prefix
with a wrong secret. Behind a reverse proxy, set ``$TRYON_TRUSTED_PROXIES``
to the number of proxies (``api.trust_proxies``), or every client shares
the proxy's IP budget.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref

from flask import Flask, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

from api.auth import presented_key
from tryon.core.settings import settings

LIMITS = {"per_key": "600/minute", "per_ip": "300/minute"}
DEFAULT_STORAGE = "tryon-memory://"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process counters (``memory://``), swept by one long-lived thread.

    The stock storage starts a new timer thread whenever its previous one
    has ended, that is on most requests after a 10 ms pause; profiled, the
    thread starts were a quarter of a cached render's time. Counters expire
    when read anyway (``MemoryStorage.get``), so the sweep only frees memory
    and runs once a second.
    """

    STORAGE_SCHEME = ["tryon-memory"]
    SWEEP_S = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        # a weak reference: a discarded app's storage (tests make many) is freed
        threading.Thread(target=_sweep, args=(weakref.ref(self),), daemon=True,
                         name="tryon-ratelimit-sweep").start()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the stock per-request timer: none
        pass


def _sweep(storage_ref) -> None:
    while True:
        time.sleep(SweptMemoryStorage.SWEEP_S)
        storage = storage_ref()
        if storage is None:
            return
        storage._MemoryStorage__expire_events()
        del storage
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
    """Attach a limiter (one per app, so test apps do not share counters)."""
    app.config.setdefault("RATELIMIT_STORAGE_URI",
                          settings().ratelimit_storage or DEFAULT_STORAGE)
    limiter = Limiter(
        get_remote_address,
        application_limits=[
            ApplicationLimit(limit_provider=lambda: current_app.config.get(
                "RATELIMIT_PER_KEY", LIMITS["per_key"]), key_function=_key_identity, scope="per-key"),
            ApplicationLimit(limit_provider=lambda: current_app.config.get(
                "RATELIMIT_PER_IP", LIMITS["per_ip"]), scope="per-ip"),
        ],
        application_limits_exempt_when=_exempt,
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
