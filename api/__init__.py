"""The tryon web application: ``create_app(config=None)``.

An APIFlask app: the versioned JSON API under ``/v1`` (OpenAPI 3.1
document at ``/v1/openapi.json``, generated from the code; interactive
docs at ``/v1/docs``), operations routes (``/healthz``, ``/readyz``,
``/metrics``) and the HTML gallery at ``/``. Errors are problem documents
(``api.errors``); auth, CORS and rate limits live in ``api.auth`` and
``api.limits``.
"""

from __future__ import annotations

from apiflask import APIFlask
from werkzeug.middleware.proxy_fix import ProxyFix

from api.auth import SECURITY_SCHEMES, init_cors
from api.errors import PROBLEM_SCHEMA, register_error_handlers
from api.extensions import init_settings, settings_of
from api.json_bodies import init_json_limits
from api.limits import init_limits
from api.metrics import init_metrics
from api.routes.avatars import avatars
from api.routes.catalog import catalog
from api.routes.fit import fit
from api.routes.gallery import gallery
from api.routes.garments import MAX_UPLOAD_BYTES, garments
from api.routes.health import health
from api.routes.jobs import jobs
from api.routes.patterns import patterns
from api.routes.renders import renders
from api.routes.videos import videos
from api.routes.consents import consents
from api.routes.twins import scan_upload_limit, twins
from api.routes.widget import widget

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
    # werkzeug answers '//v1//avatars' and 'rule/' with a redirect to an absolute URL built
    # from the Host header, which the client chooses: match such paths exactly instead
    # (404, or the rule itself), so no answer ever points at a host we were told
    app.url_map.merge_slashes = False
    app.url_map.strict_slashes = False
    trust_proxies(app, init_settings(app).trusted_proxies)
    register_error_handlers(app)
    init_metrics(app)
    init_limits(app)
    init_cors(app)
    init_json_limits(app)  # after the rate limits: a refused body still counts against them

    for blueprint in (health, avatars, garments, patterns, fit, renders, videos, jobs, catalog, gallery):
        app.register_blueprint(blueprint)
    app.register_blueprint(widget)  # the widget's files and the demo storefront at /
    app.register_blueprint(twins)
    app.register_blueprint(consents)
    return app


def largest_request_body(app: APIFlask) -> int:
    """Bytes of the largest request body some route of ``app`` accepts (a scan's,
    by default): the server in front need read no more."""
    return max(app.config["MAX_CONTENT_LENGTH"], scan_upload_limit(settings_of(app)))


def trust_proxies(app: APIFlask, count: int) -> None:
    """Behind ``Settings.trusted_proxies`` (``TRUSTED_PROXIES`` in the config, else
    ``$TRYON_TRUSTED_PROXIES``; default 0)
    reverse proxies, take the client's address, scheme and host from their
    ``X-Forwarded-*`` headers, so per-IP rate limits see shoppers, not the proxy.
    Headers from anyone else are ignored: trusting them would let a client
    pick its own IP."""
    if count < 0:
        raise ValueError("TRYON_TRUSTED_PROXIES is a count of proxies, 0 or more")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
