"""Where tryon keeps its data, and the caches of the libraries it drives.

Everything tryon writes (the body-model export, Warp's kernel cache, renders)
lives under one data directory: ``$TRYON_DATA_DIR`` if set, else ``./.tryon``.
Libraries that would otherwise write to ``~/.cache`` (anny, Warp) are pointed
into it before they are imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def log_progress(message: str) -> None:
    """Progress of one-time preparation: to stderr, so stdout stays data."""
    print(message, file=sys.stderr, flush=True)


def data_dir() -> Path:
    """The data directory, created on first use."""
    path = Path(os.environ.get("TRYON_DATA_DIR", ".tryon")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(name: str) -> Path:
    """A named cache folder inside the data directory, created on first use."""
    path = data_dir() / "cache" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


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
