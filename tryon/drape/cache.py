"""Where drapes are cached: one folder per avatar.

One folder per avatar, so that a withdrawn digital twin's drapes (garments
on a real person's body) are deleted with it (``tryon.twins.revocation``),
which needs this folder without loading the solver.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tryon.core.settings import cache_dir

_SAFE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")


def drape_cache_dir(avatar_id: str) -> Path:
    """The folder of one avatar's cached drapes (created with the cache's root)."""
    name = avatar_id if _SAFE_NAME.fullmatch(avatar_id) else hashlib.sha256(avatar_id.encode()).hexdigest()
    return cache_dir("drapes") / name
