"""The tryon web application (Flask app factory)."""

from __future__ import annotations

from flask import Flask

from api.errors import register_error_handlers


def create_app(config: dict | None = None) -> Flask:
    """Build the app. ``config`` overrides Flask settings (tests pass TESTING)."""
    app = Flask(__name__)
    app.config.update(config or {})
    register_error_handlers(app)

    from api.gallery import gallery
    from api.health import health

    app.register_blueprint(health)
    app.register_blueprint(gallery)
    return app
