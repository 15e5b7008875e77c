"""The storefront widget's files (``/widget/v1/...``) and the demo storefront at ``/``.

Widget files come from ``web_widget/`` (``WIDGET_DIR`` in the config
overrides it): the entry module ``tryon.js``, its modules under ``lib/``,
the demo page's files under ``demo/`` and the vendored 3D viewer under
``vendor/``; nothing else (tests, package.json) is served. Stores load them
cross-origin as module scripts, which browsers fetch in CORS mode, so every
answer carries ``Access-Control-Allow-Origin: *`` (public files, no
credentials) and ``Cross-Origin-Resource-Policy: cross-origin``. Caching:
a strong ETag (sha256 of the bytes) with 304s; vendored files sit under a
versioned folder and are immutable, our own files are fresh for
``WIDGET_MAX_AGE_S`` and then revalidated, so an upgrade reaches shoppers
within minutes. Text is gzipped when the client accepts it.

The demo page needs a publishable key. One is made on first use, bound to
this server's own loopback origins (``http://127.0.0.1:PORT``,
``http://localhost:PORT``, ``http://[::1]:PORT``), and its plaintext kept
in a 0600 JSON file (``$TRYON_DEMO_KEY_FILE``, else
``<data dir>/demo-publishable-key.json``): a publishable key is safe in a
page, but is only made for an origin this server knows is its own. The
Host header is the client's word, so a request under any other host name
gets no key unless that origin is listed in ``$TRYON_DEMO_ORIGINS``
(space- or comma-separated); otherwise anyone could mint keys for their
own sites by sending a Host header.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.security import safe_join

from api.errors import ProblemError
from api.extensions import app_settings, garment_store
from tryon.core.files import atomic_write
from tryon.core.settings import data_dir
from tryon.storage.api_keys import create_key, normalize_origin, verify_key
from tryon.storage.database import database_url, session_scope

widget = Blueprint("widget", __name__)

WIDGET_DIR = Path(__file__).resolve().parents[2] / "web_widget"
#: Seconds a browser or CDN may reuse our own widget files before revalidating.
WIDGET_MAX_AGE_S = 300
IMMUTABLE = "public, max-age=31536000, immutable"
#: What is served, by first path part; everything else under web_widget/ is not.
SERVED_TOP = ("tryon.js", "lib", "demo", "vendor")
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
                 ".webp": "image/webp", ".woff2": "font/woff2"}
_COMPRESSIBLE = (".js", ".mjs", ".css", ".svg")
#: The two sample garments the demo page shows, by name, in order.
DEMO_GARMENTS = ("Midi dress", "A-line skirt")
#: The two <style> elements the vendored 3D viewer (model-viewer 4.4.0) writes, by their sha256:
#: refused, the viewer draws its first frame and never another (it cannot be turned).
VIEWER_STYLE_HASHES = ("'sha256-PXtZZkJMMyc18o/DN1ZEFOJ2qEGq95IQbVaJFMOXOb0='",
                       "'sha256-4qYfvYEdzSV+/u222ON90iJ/6KZXOPcs3ubrS5dXQG8='")
#: The demo page's own policy: the strictest that the widget needs (no inline script; no
#: inline style but the viewer's own, by hash; blob: in connect-src for the viewer to read the
#: images inside a GLB, the body's skin and a printed garment, which three.js fetches as blobs).
DEMO_CSP = ("default-src 'self'; script-src 'self'; "
            f"style-src 'self' {' '.join(VIEWER_STYLE_HASHES)}; img-src 'self' data: blob:; "
            "connect-src 'self' blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")

_files: dict[tuple, tuple[bytes, bytes | None, str]] = {}  # (path, mtime, size) -> (raw, gz, etag)
_files_lock = threading.Lock()
_demo_keys: dict[tuple, str] = {}  # (database, origins) -> plaintext, per process
_demo_lock = threading.Lock()


def widget_dir() -> Path:
    return Path(current_app.config.get("WIDGET_DIR", WIDGET_DIR))


@widget.get("/widget/v1/<path:filename>")
def widget_file(filename: str):
    """A widget file, with its content type, CORS for module scripts, ETag and caching."""
    parts = filename.split("/")
    suffix = Path(filename).suffix.lower()
    path = safe_join(str(widget_dir()), filename)
    # lib/../test/... stays inside web_widget/ but names a file that is not served:
    # only plain paths down from a served folder are
    if (parts[0] not in SERVED_TOP or any(p in ("", ".", "..") for p in parts)
            or suffix not in CONTENT_TYPES or path is None or not os.path.isfile(path)):
        raise ProblemError(404, "Not Found", f"no widget file {filename!r}", "filename")
    raw, compressed, etag = _load(Path(path))
    # werkzeug parses the header with its q-values: "gzip;q=0" is a refusal, not a yes
    gzipped = compressed is not None and request.accept_encodings["gzip"] > 0
    tag = f"{etag}-gz" if gzipped else etag  # a strong ETag names one representation
    if request.if_none_match.contains(tag):
        response = Response(status=304)
    else:
        response = Response(compressed if gzipped else raw, content_type=CONTENT_TYPES[suffix])
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(tag)
    response.headers["Cache-Control"] = (IMMUTABLE if parts[0] == "vendor"
                                         else f"public, max-age={WIDGET_MAX_AGE_S}")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if compressed is not None:
        response.vary.add("Accept-Encoding")
    return response


def _load(path: Path) -> tuple[bytes, bytes | None, str]:
    """(bytes, gzipped bytes or None, sha256 hex) of a file, kept while it is unchanged."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _files_lock:
        found = _files.get(key)
    if found is None:
        raw = path.read_bytes()
        compressed = gzip.compress(raw, 9, mtime=0) if path.suffix in _COMPRESSIBLE else None
        found = (raw, compressed, hashlib.sha256(raw).hexdigest()[:32])
        with _files_lock:
            _files[key] = found
    return found


# ---- the demo storefront ----------------------------------------------------

@widget.get("/")
def demo():
    """A store's product page with the widget on two sample garments."""
    published = [g for g in garment_store().list()
                 if g.status == "published"]
    by_name = {g.name: g for g in published}
    garments = [by_name[n] for n in DEMO_GARMENTS if n in by_name] or published[:2]
    origins = demo_origins()
    key = demo_key(origins) if origins else None
    page = render_template("demo.html", garments=garments, key=key, host=request.host,
                           main=garments[0] if garments else None, more=garments[1:])
    response = Response(page, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = DEMO_CSP
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    response.headers["Cache-Control"] = "no-store"  # it carries a key made for this server
    return response


def demo_origins() -> list[str] | None:
    """The origins the demo key is bound to for this request, or None if none may be made.

    Loopback host names are this machine's own: the key covers every
    loopback name at the port this server listens on, and only a client on
    this machine gets it (the Host header is the client's word: otherwise
    anyone could have keys made for any port). Any other host must be
    listed in ``$TRYON_DEMO_ORIGINS`` (or ``DEMO_ORIGINS`` in the config).
    """
    parts = urlsplit(f"//{request.host}")
    try:
        port = parts.port
        here = normalize_origin(f"{request.scheme}://{request.host}")
    except ValueError:
        return None
    if parts.hostname in _LOOPBACK:
        served_port = str(port or {"http": 80, "https": 443}.get(request.scheme))
        if request.remote_addr not in _LOOPBACK or served_port != request.environ.get("SERVER_PORT"):
            return None
        suffix = f":{port}" if port else ""
        return [normalize_origin(f"{request.scheme}://{h if ':' not in h else f'[{h}]'}{suffix}")
                for h in _LOOPBACK]
    configured = app_settings().demo_origins
    try:
        allowed = [normalize_origin(o) for o in configured]
    except ValueError:
        current_app.logger.warning("TRYON_DEMO_ORIGINS holds something that is not an origin: %r",
                                   configured)
        return None
    return allowed if here in allowed else None


def demo_key_file() -> Path:
    """Where the demo key's plaintext is kept."""
    return app_settings().demo_key_file or data_dir() / "demo-publishable-key.json"


def demo_key(origins: list[str]) -> str:
    """The demo's publishable key for ``origins`` in this database, made on first use.

    The file may hold keys of several databases and origin sets (a test
    database, another port); each is checked against the database before
    use, and one that is unknown, revoked or missing an origin is replaced.
    Processes serialise on a lock file, so two workers make one key.
    """
    database = hashlib.sha256(database_url().encode()).hexdigest()[:16]
    wanted = (database, tuple(sorted(origins)))
    with _demo_lock:
        if wanted in _demo_keys and _usable(_demo_keys[wanted], origins):
            return _demo_keys[wanted]
        path = demo_key_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = _read_entries(path)
            for entry in entries:
                if (entry.get("database"), tuple(sorted(entry.get("origins", ())))) == wanted \
                        and _usable(entry.get("key"), origins):
                    _demo_keys[wanted] = entry["key"]
                    return entry["key"]
            plaintext = _create_demo_key(origins)
            entries = [e for e in entries if (e.get("database"), tuple(sorted(e.get("origins", ()))))
                       != wanted][-19:]  # bounded: the newest 20
            entries.append({"database": database, "origins": sorted(origins), "key": plaintext})
            atomic_write(path, json.dumps({"keys": entries}, indent=1), mode=0o600)
        _demo_keys[wanted] = plaintext
        return plaintext


def _usable(plaintext: str | None, origins: list[str]) -> bool:
    if not plaintext:
        return False
    with session_scope() as session:
        key = verify_key(session, plaintext)
        return key is not None and key.role == "publishable" and set(origins) <= set(key.origins or ())


def _create_demo_key(origins: list[str]) -> str:
    with session_scope() as session:
        _, plaintext = create_key(session, "publishable", origins, label="demo storefront")
    current_app.logger.info("made the demo storefront's publishable key for %s", ", ".join(origins))
    return plaintext


def _read_entries(path: Path) -> list[dict]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        current_app.logger.warning("%s is unreadable; making a new demo key", path)
        return []
    keys = data.get("keys") if isinstance(data, dict) else None
    return [e for e in keys if isinstance(e, dict)] if isinstance(keys, list) else []



