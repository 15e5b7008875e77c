"""Errors as RFC 9457 problem documents (application/problem+json)."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException


class ProblemError(Exception):
    """An error a client caused: answered with its status and a problem body."""

    def __init__(self, status: int, title: str, detail: str, field: str | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.field = status, title, detail, field


def problem(status: int, title: str, detail: str, field: str | None = None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(e: ProblemError):
        return problem(e.status, e.title, e.detail, e.field)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        return problem(e.code or 500, e.name, e.description or e.name)
