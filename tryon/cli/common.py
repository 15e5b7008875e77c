"""What every command shares: reporting a usage error, and finding what a command names."""

from __future__ import annotations

import sys

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
