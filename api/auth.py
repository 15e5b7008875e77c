"""API keys on requests: who is calling, with which role, from which site.

A key travels as ``Authorization: Bearer KEY``; a publishable key may also
come as ``?key=KEY`` (a plain ``<img>`` cannot send headers). Secret keys
(merchant, admin, ...) are refused in URLs: URLs end up in logs and
browser histories.

Answers: no key or a wrong one -> 401; a key of the wrong role -> 403; a
key bound to origins (every publishable key) used from another site -> 403.
The calling site is the ``Origin`` header, or the origin of ``Referer``
when there is none (browsers send no ``Origin`` on ``<img>``).

CORS headers go only to origins on the calling key's list (and, for
preflights, which carry no key, to origins on some live key's list).
"""

from __future__ import annotations

import functools
import threading
import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_cors.core import get_cors_options, set_cors_headers
from sqlalchemy import select

from api.errors import ProblemError
from tryon.storage.api_keys import (
    has_role,
    normalize_origin,
    origin_allowed,
    verify_key,
)
from tryon.core.settings import DEFAULT_TENANT
from tryon.storage.database import session_scope
from tryon.storage.models import ApiKey
from tryon.storage.tenants import sees_tenant

#: The roles that may read the catalogue (avatars, garments, fit); admin has every role.
READ_ROLES = ("publishable", "merchant")
#: The OpenAPI security scheme that every protected operation names.
SECURITY = "bearerKey"
SECURITY_SCHEMES = {SECURITY: {"type": "http", "scheme": "bearer",
                               "description": "An API key (`tryon keys create`); publishable "
                                              "keys may also come as the `key` query parameter."}}
_PREFLIGHT_ORIGINS_TTL_S = 30.0
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tryon"'}


def presented_key() -> tuple[str | None, bool]:
    """The key the request carries and whether it came in the URL (``?key=``)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None, False
    token = request.args.get("key")
    return (token.strip() or None) if token is not None else None, token is not None


def request_origin() -> str | None:
    """The calling site: ``Origin``, else the origin of ``Referer``; None if neither is usable."""
    origin = request.headers.get("Origin")
    try:
        if not origin or origin == "null":
            referer = urlsplit(request.headers.get("Referer", ""))  # ValueError: 'http://['
            origin = (f"{referer.scheme}://{referer.netloc}" if referer.scheme and referer.netloc
                      else None)
        return normalize_origin(origin) if origin else None
    except ValueError:
        return None


def authenticate(*roles: str) -> ApiKey:
    """The request's live key if it has one of ``roles``; raises a 401/403 ProblemError otherwise."""
    token, in_url = presented_key()
    if token is None:
        raise ProblemError(401, "Unauthorized", "send an API key as 'Authorization: Bearer KEY'",
                           "Authorization", headers=_CHALLENGE)
    with session_scope() as session:
        key = verify_key(session, token)
    field = "key" if in_url else "Authorization"
    if key is None:
        raise ProblemError(401, "Unauthorized", "the API key is wrong or revoked", field,
                           headers=_CHALLENGE)
    if in_url and key.role != "publishable":
        raise ProblemError(401, "Unauthorized", "only publishable keys may travel in the URL; "
                           "revoke this key, it may have been logged", field, headers=_CHALLENGE)
    if not origin_allowed(key, request_origin()):
        raise ProblemError(403, "Forbidden", "this key may not be used from this site "
                           "(Origin or Referer not on its list of origins)", "Origin")
    if not has_role(key, *roles):
        raise ProblemError(403, "Forbidden", f"this needs a {' or '.join(roles)} key, "
                           f"not a {key.role} key", field)
    g.api_key = key
    return key


def require_key(*roles: str):
    """Decorator: the view runs only for a key with one of ``roles`` (admin always)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            authenticate(*roles)
            return view(*args, **kwargs)
        return wrapper
    return decorate


def is_secret_caller() -> bool:
    """Whether the caller holds a merchant or admin key (sees drafts and reports)."""
    key = g.get("api_key")
    return key is not None and has_role(key, "merchant")


def caller_tenant() -> str:
    """The tenant the caller's key acts for: what it makes belongs to that tenant."""
    key = g.get("api_key")
    return key.tenant_id if key is not None and key.tenant_id else DEFAULT_TENANT


def caller_sees(tenant: str | None) -> bool:
    """Whether the caller may see what belongs to ``tenant`` (admins see every tenant;
    None is nobody's: public)."""
    return sees_tenant(g.get("api_key"), tenant)


def init_cors(app: Flask) -> None:
    """Answer CORS for allowed origins only (flask-cors writes the headers)."""
    app.extensions["tryon_preflight_origins"] = (0.0, frozenset())
    app.extensions["tryon_preflight_lock"] = threading.Lock()
    app.after_request(_cors)


def _cors(response: Response) -> Response:
    if not request.path.startswith("/v1/"):
        return response
    response.vary.add("Origin")  # the answer depends on it, so caches must key on it
    origin = request.headers.get("Origin")
    if not origin:
        return response
    try:
        origin = normalize_origin(origin)
    except ValueError:
        return response
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        allowed = origin in _known_origins()  # a preflight carries no key
    else:
        key = g.get("api_key")
        allowed = key is not None and origin in (key.origins or ())
    if allowed:
        options = get_cors_options(None, {
            "origins": [origin], "allow_headers": ["Authorization", "Content-Type"],
            "expose_headers": ["Location", "Retry-After", "ETag", "Repr-Digest"], "max_age": 600})
        set_cors_headers(response, options)
    return response


def _known_origins() -> frozenset[str]:
    """Every origin on a live key's list, re-read at most every few seconds."""
    ext = current_app.extensions
    with ext["tryon_preflight_lock"]:
        expires, origins = ext["tryon_preflight_origins"]
        if expires < time.monotonic():
            with session_scope() as session:
                rows = session.scalars(select(ApiKey.origins).where(ApiKey.revoked_at.is_(None)))
                origins = frozenset(o for row in rows for o in (row or ()))
            ext["tryon_preflight_origins"] = (time.monotonic() + _PREFLIGHT_ORIGINS_TTL_S, origins)
        return origins
