"""Errors as RFC 9457 problem documents (application/problem+json).

Every error the API answers has ``type``, ``title``, ``status``, ``detail``
and, when one input is at fault, ``field``. tryon's typed errors
(``tryon.core.errors``: not found, invalid, conflict, consent required or
ended) become their status here, in one place, with their ``code``; a
twin's consent problem names its ``consent`` grant. Request validation errors from
APIFlask are reshaped into the same document; anything unexpected is logged
and answered as a 500 problem, never as an HTML page or a traceback.
"""

from __future__ import annotations

from http import HTTPStatus

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import jsonify

from tryon.core.errors import ConsentError, TryonError

PROBLEM_MIMETYPE = "application/problem+json"
#: The problem document as an OpenAPI schema (every error response's body).
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "the input at fault, when there is one"},
    },
}


class ProblemError(Exception):
    """An error a client caused: answered with its status and a problem body.

    ``extra`` adds members to the document (e.g. a rejected upload's
    ``reports``); ``headers`` go on the response (e.g. ``WWW-Authenticate``).
    """

    def __init__(self, status: int, title: str, detail: str, field: str | None = None,
                 headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status, self.title, self.detail, self.field = status, title, detail, field
        self.headers, self.extra = headers or {}, extra


def problem_body(status: int, title: str, detail: str, field: str | None = None, **extra) -> dict:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    if field:
        body["field"] = field
    return body


def problem(status: int, title: str, detail: str, field: str | None = None, **extra):
    response = jsonify(problem_body(status, title, detail, field, **extra))
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    return response


def _validation_field(detail) -> tuple[str | None, str | None]:
    """The first field and message of APIFlask's ``{location: {field: [messages]}}``."""
    if not isinstance(detail, dict):
        return None, None
    for fields in detail.values():
        if isinstance(fields, dict):
            for field, messages in fields.items():
                while isinstance(messages, (list, dict)) and messages:  # nested schemas
                    messages = next(iter(messages.values())) if isinstance(messages, dict) else messages[0]
                return str(field), str(messages)
    return None, None


def register_error_handlers(app: APIFlask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(e: ProblemError):
        response = problem(e.status, e.title, e.detail, e.field, **e.extra)
        response.headers.update(e.headers)
        return response

    @app.errorhandler(TryonError)
    def _typed(e: TryonError):
        extra = {"consent": e.grant_id} if isinstance(e, ConsentError) else {}
        return problem(e.status, HTTPStatus(e.status).phrase, e.detail, e.field, code=e.code, **extra)

    # APIFlask routes HTTPError (its validation errors, abort()) and every
    # werkzeug HTTPException (404, 405, 413, 429, ...) through this.
    @app.error_processor
    def _http(error: HTTPError):
        status = error.status_code
        try:
            title = HTTPStatus(status).phrase
        except ValueError:  # a status Python does not name
            title = "Error"
        field, message = _validation_field(error.detail)
        detail = f"{field}: {message}" if field else (error.message or title)
        headers = {**dict(error.headers or {}), "Content-Type": PROBLEM_MIMETYPE}
        return problem_body(status, title, detail, field), status, headers

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        # A bug, not a client's fault: keep the traceback in the log, not in the answer.
        app.logger.exception("unhandled error")
        return problem(500, "Internal Server Error", "the server failed; the error is logged")
