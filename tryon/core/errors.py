"""One error vocabulary: what went wrong, typed where it is raised.

Every layer raises these; the API turns them into problem+json in one place
(``api.errors``), the CLI into a message and exit code 2, and a failed job
stores the ``code`` next to its message, so nothing parses a sentence to
find out what happened. A plain ``KeyError`` or ``ValueError`` that escapes
is a bug, answered as one (500), never as a client's 404 or 422.

The base classes keep the built-in ones they refine (``NotFound`` is a
``KeyError``, ``Invalid`` a ``ValueError``), so ``except KeyError`` around a
lookup still works.
"""

from __future__ import annotations


class TryonError(Exception):
    """Base of tryon's errors. ``code`` names the kind for machines (job
    records, problem documents); ``status`` is the HTTP answer; ``field``
    names the input at fault, when one is."""

    code = "error"
    status = 500

    def __init__(self, detail: str, field: str | None = None):
        super().__init__(detail)
        self.detail, self.field = detail, field

    def __str__(self) -> str:  # KeyError's str() would quote the message
        return self.detail


class NotFound(TryonError, KeyError):
    """No avatar, garment, size, twin, job or blob of that id (404)."""

    code, status = "not_found", 404


class Invalid(TryonError, ValueError):
    """Input that cannot be used; ``field`` names it (422)."""

    code, status = "invalid", 422


class Conflict(TryonError):
    """The request clashes with what is stored (409): a name taken, a state that forbids it."""

    code, status = "conflict", 409


class ConsentError(TryonError):
    """A use or a creation of a digital twin that no consent allows (403).
    ``grant_id``: the consent grant concerned, when one is."""

    code, status = "consent_required", 403

    def __init__(self, detail: str, grant_id: str | None = None, field: str | None = None):
        super().__init__(detail, field)
        self.grant_id = grant_id


class ConsentRequired(ConsentError):
    """No active consent grant covers this (403)."""


class ConsentEnded(ConsentError):
    """The grant that covered this was revoked or has expired (410 Gone)."""

    code, status = "consent_ended", 410


#: Every code a job's ``error_code`` may hold, with its HTTP status ("internal": a bug;
#: "unavailable": the database, disk or a connection failed on every attempt).
CODES = {cls.code: cls.status for cls in (NotFound, Invalid, Conflict, ConsentRequired,
                                          ConsentEnded)} | {"internal": 500, "unavailable": 503}


def error_code(error: BaseException) -> str:
    """The code of ``error``: its own for tryon's errors, ``internal`` for anything else."""
    return error.code if isinstance(error, TryonError) else "internal"
