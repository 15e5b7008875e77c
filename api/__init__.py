"""The tryon web application: ``create_app(config=None)``.

An APIFlask app: the versioned JSON API under ``/v1`` (OpenAPI 3.1
document at ``/v1/openapi.json``, generated from the code; interactive
docs at ``/v1/docs``), operations routes (``/healthz``, ``/readyz``,
``/metrics``) and the HTML gallery at ``/``. Errors are problem documents
(``api.errors``); auth, CORS and rate limits live in ``api.auth`` and
``api.limits``.
"""

from __future__ import annotations

import os

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from api.auth import SECURITY_SCHEMES, init_cors
from api.errors import PROBLEM_SCHEMA, register_error_handlers
from api.garments import MAX_UPLOAD_BYTES
from api.limits import init_limits
from api.metrics import init_metrics

API_VERSION = "1.0.0"


def create_app(config: dict | None = None) -> APIFlask:
    """Build the app. ``config`` overrides settings (tests pass TESTING, limits, dirs)."""
    app = APIFlask(__name__, title="tryon API", version=API_VERSION,
                   spec_path="/v1/openapi.json", docs_path="/v1/docs")
    app.config.update(
        OPENAPI_VERSION="3.1.0",
        SECURITY_SCHEMES=SECURITY_SCHEMES,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        VALIDATION_ERROR_STATUS_CODE=422,
        # document errors as what they are: problem+json (api.errors)
        HTTP_ERROR_SCHEMA=PROBLEM_SCHEMA,
        VALIDATION_ERROR_SCHEMA=PROBLEM_SCHEMA,
    )
    app.config.update(config or {})
    trust_proxies(app)
    register_error_handlers(app)
    init_metrics(app)
    init_limits(app)
    init_cors(app)

    from api.avatars import avatars
    from api.catalog import catalog
    from api.fit import fit
    from api.gallery import gallery
    from api.garments import garments
    from api.health import health
    from api.jobs import jobs
    from api.renders import renders
    from api.widget import widget

    for blueprint in (health, avatars, garments, fit, renders, jobs, catalog, gallery):
        app.register_blueprint(blueprint)
    app.register_blueprint(widget)  # the widget's files and the demo storefront at /
    from api.twins import consents, twins  # digital twins and their models' consents (issue 5)
    app.register_blueprint(twins), app.register_blueprint(consents)
    return app


def trust_proxies(app: APIFlask) -> None:
    """Behind ``TRUSTED_PROXIES`` (config, else ``$TRYON_TRUSTED_PROXIES``; default 0)
    reverse proxies, take the client's address, scheme and host from their
    ``X-Forwarded-*`` headers, so per-IP rate limits see shoppers, not the proxy.
    Headers from anyone else are ignored: trusting them would let a client
    pick its own IP."""
    count = int(app.config.get("TRUSTED_PROXIES", os.environ.get("TRYON_TRUSTED_PROXIES", "0")))
    if count < 0:
        raise ValueError("TRYON_TRUSTED_PROXIES is a count of proxies, 0 or more")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
