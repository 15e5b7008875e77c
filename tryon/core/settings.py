"""tryon's settings: every ``TRYON_*`` variable, read in one place into one frozen object.

``settings()`` is the process's ``Settings``, parsed from the environment
once and parsed again only if a ``TRYON_*`` variable changes (tests, and
``tryon serve --data-dir``, set them). Code that makes stores and queues
takes a ``Settings`` and is handed one by its caller: the app factory,
the job runners and the CLI build theirs here, so an API worker, its job
runner and a Celery worker agree on where garments, blobs and the database
are.

Everything tryon writes (the body-model export, Warp's kernel cache,
renders) lives under one data directory: ``$TRYON_DATA_DIR`` if set, else
``./.tryon``. Libraries that would otherwise write to ``~/.cache`` (anny,
Warp) are pointed into it before they are imported.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The tenant (merchant account) of a single store: every database starts with it.
DEFAULT_TENANT = "default"


def log_progress(message: str) -> None:
    """Progress of one-time preparation: to stderr, so stdout stays data."""
    print(message, file=sys.stderr, flush=True)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _number(environ: Mapping[str, str], name: str, default: float, kind=float):
    text = environ.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {text!r}") from None


@dataclass(frozen=True)
class Settings:
    """Where tryon keeps things and how it runs; the README's settings table, as fields.

    Paths are absolute. ``None`` means "the embedded default" (SQLite file,
    local blobs, in-process jobs, development C2PA chain).
    """

    data_dir: Path
    garments_dir: Path  # the garment store; default data_dir / "garments"
    database_url: str  # SQLAlchemy URL; default the SQLite file in the data dir
    blob_url: str | None = None  # s3://bucket/prefix or file:///path; None: data_dir / "blobs"
    broker_url: str | None = None  # redis://...: jobs go to Celery workers; None: in-process
    body_model: str = "anny"  # anny or smplx
    smplx_dir: str = ""  # folder of licensed SMPLX_*.npz files
    job_threads: int = 1  # in-process job threads per process
    job_lease_s: float = 60.0  # a worker silent this long is taken for dead
    render_budget_s: float | None = None  # s a render request waits before 202 (None: the API's default)
    twin_budget_s: float | None = None  # s a twin creation waits before 202
    twin_max_upload_bytes: int | None = None  # scan upload limit (None: the API's default)
    ratelimit_storage: str | None = None  # limits' storage URI; None: a file in data_dir
    ratelimit_per_key: str | None = None  # e.g. "600/minute"; None: api.limits.LIMITS
    ratelimit_per_ip: str | None = None  # e.g. "300/minute"; None: api.limits.LIMITS
    trusted_proxies: int = 0  # reverse proxies whose X-Forwarded-* headers are trusted
    demo_origins: tuple[str, ...] = ()  # extra origins the demo page may make its key for
    demo_key_file: Path | None = None  # default data_dir / "demo-publishable-key.json"
    seal_key: str | None = None  # the Fernet key sealing documents and scans at rest
    seal_key_file: Path | None = None  # default data_dir / "keys" / "seal.key"
    c2pa_cert: Path | None = None  # PEM chain (signer first); None: the development chain
    c2pa_key: Path | None = None  # PEM private key of the signer
    c2pa_alg: str = "es256"
    c2pa_tsa_url: str | None = None  # an RFC 3161 timestamp authority
    c2pa_trust_anchors: Path | None = None  # PEM roots verify-image trusts
    c2pa_all_avatars: bool = False  # credentials on every render, not only twins'

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (default ``os.environ``); ValueError names a bad variable."""
        env = os.environ if environ is None else environ

        def path(name: str) -> Path | None:
            text = env.get(name)
            return Path(text).expanduser().resolve() if text else None

        data = Path(env.get("TRYON_DATA_DIR") or ".tryon").expanduser().resolve()
        trusted = _number(env, "TRYON_TRUSTED_PROXIES", 0, int)
        if trusted < 0:
            raise ValueError("TRYON_TRUSTED_PROXIES is a count of proxies, 0 or more")
        upload = env.get("TRYON_TWIN_MAX_UPLOAD_BYTES")
        return cls(
            data_dir=data,
            garments_dir=path("TRYON_GARMENTS_DIR") or data / "garments",
            database_url=env.get("TRYON_DATABASE_URL") or f"sqlite:///{data / 'tryon.sqlite3'}",
            blob_url=env.get("TRYON_BLOB_URL") or None,
            broker_url=env.get("TRYON_BROKER_URL") or None,
            body_model=(env.get("TRYON_BODY_MODEL") or "anny").strip().lower(),
            smplx_dir=env.get("TRYON_SMPLX_DIR", ""),
            job_threads=max(1, _number(env, "TRYON_JOB_THREADS", 1, int)),
            job_lease_s=_number(env, "TRYON_JOB_LEASE_S", 60.0),
            render_budget_s=_number(env, "TRYON_RENDER_BUDGET_S", None),
            twin_budget_s=_number(env, "TRYON_TWIN_BUDGET_S", None),
            twin_max_upload_bytes=int(upload) if upload else None,
            ratelimit_storage=env.get("TRYON_RATELIMIT_STORAGE") or None,
            ratelimit_per_key=env.get("TRYON_RATELIMIT_PER_KEY") or None,
            ratelimit_per_ip=env.get("TRYON_RATELIMIT_PER_IP") or None,
            trusted_proxies=trusted,
            demo_origins=tuple(env.get("TRYON_DEMO_ORIGINS", "").replace(",", " ").split()),
            demo_key_file=path("TRYON_DEMO_KEY_FILE"),
            seal_key=env.get("TRYON_SEAL_KEY") or None,
            seal_key_file=path("TRYON_SEAL_KEY_FILE"),
            c2pa_cert=path("TRYON_C2PA_CERT"),
            c2pa_key=path("TRYON_C2PA_KEY"),
            c2pa_alg=(env.get("TRYON_C2PA_ALG") or "es256").lower(),
            c2pa_tsa_url=env.get("TRYON_C2PA_TSA_URL") or None,
            c2pa_trust_anchors=path("TRYON_C2PA_TRUST_ANCHORS"),
            c2pa_all_avatars=_flag(env.get("TRYON_C2PA_ALL_AVATARS")),
        )

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` (field names as above)."""
        return dataclasses.replace(self, **changes)

    def cache_dir(self, name: str) -> Path:
        """A named cache folder inside the data directory, created on first use."""
        path = self.data_dir / "cache" / name
        path.mkdir(parents=True, exist_ok=True)
        return path


_lock = threading.Lock()
_current: tuple[tuple[tuple[str, str], ...], Settings] | None = None


def settings() -> Settings:
    """The process's settings, from the environment (parsed again only when a
    ``TRYON_*`` variable has changed since)."""
    global _current
    snapshot = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("TRYON_")))
    current = _current
    if current is not None and current[0] == snapshot:
        return current[1]
    with _lock:
        _current = (snapshot, Settings.from_env())
        return _current[1]


def data_dir() -> Path:
    """The data directory, created on first use."""
    path = settings().data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(name: str) -> Path:
    """A named cache folder inside the data directory, created on first use."""
    data_dir()
    return settings().cache_dir(name)


def point_library_caches() -> None:
    """Send anny's, Warp's and Mesa's caches into the data directory.

    Must run before ``anny`` or ``warp`` is imported and before EGL starts:
    they read these variables then. An operator's explicit setting wins.
    """
    os.environ.setdefault("ANNY_CACHE_DIR", str(cache_dir("anny-build")))
    os.environ.setdefault("WARP_CACHE_PATH", str(cache_dir("warp")))
    os.environ.setdefault("MESA_SHADER_CACHE_DIR", str(cache_dir("mesa")))  # read at EGL start
    import warp  # importing does not initialise Warp; its first use does

    warp.config.log_level = warp.LOG_WARNING  # no banners on stdout, where JSON output goes
