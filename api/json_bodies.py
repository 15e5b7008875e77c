"""JSON request bodies: checked for size and nesting before anything parses them.

Python's JSON parser recurses once per nested array or object, so a small
body nested 100,000 deep ends in a RecursionError (a 500) wherever it is
parsed. Every JSON body tryon takes is a flat record of a few fields, so
bodies are limited to ``MAX_JSON_BYTES`` (413 beyond) and ``MAX_JSON_DEPTH``
levels (400 beyond), counted by a scan that skips string contents.
"""

from __future__ import annotations

from flask import Flask, request

from api.errors import ProblemError

MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32


def json_depth(data: bytes, limit: int) -> int:
    """The deepest nesting of arrays and objects in ``data``, counting stops past ``limit``."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def init_json_limits(app: Flask) -> None:
    """Check every JSON request body before a route parses it."""

    @app.before_request
    def _check_json_body():
        if not request.is_json:
            return
        if (request.content_length or 0) > MAX_JSON_BYTES:
            raise ProblemError(413, "Content Too Large",
                               f"JSON bodies are at most {MAX_JSON_BYTES // 1024} KB", "body")
        data = request.get_data(cache=True)
        if len(data) > MAX_JSON_BYTES:  # chunked: no Content-Length to check first
            raise ProblemError(413, "Content Too Large",
                               f"JSON bodies are at most {MAX_JSON_BYTES // 1024} KB", "body")
        if json_depth(data, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise ProblemError(400, "Bad Request",
                               f"JSON nested more than {MAX_JSON_DEPTH} levels deep", "body")
