"""What every command shares: reporting a usage error, finding what a command names, and
reading a colorways file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tryon.core.errors import NotFound
from tryon.core.settings import settings


def fail(message: str) -> int:
    print(f"tryon: error: {message}", file=sys.stderr)
    return 2


def avatar_and_garments(avatar_id: str, garment_id: str | None):
    """(the library avatar, the garment store) for ``--avatar`` and ``--garment``.

    NotFound, with a hint where to look, when either is not there.
    """
    # torch (body model, garment store): only the commands that drape or render load them
    from avatars.library import get_avatar
    from garments.store import GarmentStore

    store = GarmentStore(settings().garments_dir)
    try:
        avatar = get_avatar(avatar_id)
        if garment_id is not None:
            store.get(garment_id)
    except NotFound as e:
        raise NotFound(f"{e}; `tryon avatars` and `tryon garments` list them", e.field) from None
    return avatar, store


def read_colorways(path: str):
    """Colorways from a JSON file (``garments.colorways.parse_colorways``'s list);
    each ``texture`` is a path relative to the file. ValueError or OSError
    saying what is wrong."""
    from garments.colorways import parse_colorways

    file = Path(path)
    try:
        entries = json.loads(file.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not JSON: {e}") from None
    names = {e["texture"] for e in entries if isinstance(entries, list) and isinstance(e, dict)
             and isinstance(e.get("texture"), str)} if isinstance(entries, list) else set()
    return parse_colorways(entries, {name: (file.parent / name).read_bytes() for name in names})
