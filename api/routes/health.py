"""Liveness (``/healthz``: the process answers) and readiness (``/readyz``:
the database answers and the body model loads)."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, jsonify
from sqlalchemy import text

from api.errors import problem
from avatars.body_models.registry import get_body_model
from tryon.storage.database import session_scope

health = APIBlueprint("health", __name__, tag="Operations")


@health.get("/healthz")
def healthz():
    """The process is alive."""
    return jsonify(status="ok")


@health.get("/readyz")
def readyz():
    """Ready to serve: the database answers and the body model loads (503 otherwise)."""
    checks = {}
    try:
        with session_scope() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
        get_body_model()  # loaded once per process, then cached
        checks["body_model"] = "ok"
    except Exception as e:  # any failure means "not ready", with the reason logged
        current_app.logger.warning("not ready: %s", e)
        failed = "database" if "database" not in checks else "body_model"
        return problem(503, "Service Unavailable", f"{failed} is not ready: {type(e).__name__}",
                       checks=checks)
    return jsonify(status="ok", checks=checks)
