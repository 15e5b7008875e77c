"""Every route, not only the documented ones, against the classes of input that
once gave 500s: odd Unicode digits, NULs, broken URLs in headers, traversal,
absurd numbers, deep JSON, bodies that are not what they claim. Each must
answer a 4xx (or its normal answer), never a 5xx.

The schemathesis run (``test_schema_fuzz.py``) generates from the OpenAPI
document; this one walks ``app.url_map`` (the widget, gallery, demo and
operations routes too) with a fixed list of hostile values, so it is
bounded: about a thousand requests.
"""

from __future__ import annotations

import re

import pytest


pytestmark = pytest.mark.slow  # the app's routes load the library (body model)

VALUES = ["²", "٣", "\x00", "%00", "../../etc/passwd", "..%2f..%2fetc", "http://[", "9" * 400,
          "-1", "1e309", "NaN", "🙂" * 50, "<script>alert(1)</script>", "x" * 5000, "",
          "f165-eu40\n", "M\r\nSet-Cookie: a=b"]
PARAMS = ["avatar", "garment", "size", "colorway", "view", "width", "height", "format", "fit_map",
          "background", "label", "key", "channel", "sex", "skin_tone", "height_min",
          "height_max", "pose", "sizes"]
HEADERS = [{"Referer": "http://["}, {"Origin": "http://["}, {"Origin": "null"},
           {"Referer": "javascript:alert(1)"}, {"Accept-Encoding": "gzip;q=0, br;q=abc"},
           {"If-None-Match": '"' + "a" * 5000 + '"'}, {"Content-Type": "multipart/form-data"}]
BODIES = [("[" * 100_000, "application/json"), ('{"a":' * 50_000 + "1" + "}" * 50_000,
                                                 "application/json"),
          (b"\xff\xfe\x00garbage", "application/json"), ('{"height": 1e400}', "application/json"),
          ('{"height": 170, "height": "x"}', "application/json"),
          (b"--x\r\nContent-Disposition: form-data; name=\"size_M\"; filename=\"../../a.obj\""
           b"\r\n\r\nv 0 0 0\r\n--x--\r\n", "multipart/form-data; boundary=x"),
          (b"--unterminated", "multipart/form-data; boundary=zzz"),
          (b"--x\r\nContent-Disposition: form-data; name=\"size_chart\"\r\n\r\n" + b"[" * 5000
           + b"\r\n--x--\r\n", "multipart/form-data; boundary=x"),
          ('{"sizes": {"M": {"waist": [1e309, "x"]}}}', "application/json")]


def _routes(app):
    for rule in app.url_map.iter_rules():
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        yield rule, methods


def _path(rule, value: str) -> str:
    path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", lambda _: value.replace("/", "%2F"), rule.rule)
    return path


def _check(answer, what) -> None:
    assert answer.status_code < 500 or answer.status_code == 503 and what[1] == "/readyz", \
        (what, answer.status_code, answer.get_data(as_text=True)[:300])


def test_no_route_answers_a_server_error_to_hostile_input(fuzz_app, keys):
    client = fuzz_app.test_client()
    admin = {"Authorization": f"Bearer {keys['admin']}"}
    sent = 0
    for rule, methods in _routes(fuzz_app):
        for method in methods:
            for value in VALUES:
                path = _path(rule, value)
                for headers in (admin, {}):
                    answer = client.open(path, method=method, headers=headers)
                    _check(answer, (method, rule.rule, "path", value))
                    sent += 1
                if "<" in rule.rule:
                    continue
                # every parameter at once: none valid, so nothing starts real work
                query = {name: value for name in PARAMS}
                answer = client.open(rule.rule, method=method, headers=admin, query_string=query)
                _check(answer, (method, rule.rule, "query", value))
                sent += 1
            if "<" in rule.rule:
                continue
            for extra in HEADERS:
                answer = client.open(rule.rule, method=method, headers={**admin, **extra})
                _check(answer, (method, rule.rule, "header", extra))
                sent += 1
            if method in ("POST", "PUT", "PATCH"):
                for body, content_type in BODIES:
                    answer = client.open(rule.rule, method=method, headers=admin, data=body,
                                         content_type=content_type)
                    _check(answer, (method, rule.rule, "body", content_type))
                    sent += 1
    assert sent > 800
