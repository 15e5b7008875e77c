"""What a render may be asked for: pixel sizes and image formats, checked without pyrender.

The API and the content keys validate requests with these; only the job
processes that render import pyrender (``tryon.render.renderer``).
"""

from __future__ import annotations

import operator

from tryon.core.errors import Invalid

MAX_SIZE = 2048  # pixels, either side
MEDIA_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_ALIASES = {"jpg": "jpeg"}


def check_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) as ints, or Invalid unless each is an integer 1..MAX_SIZE."""
    sizes = []
    for name, value in (("width", width), ("height", height)):
        try:
            if isinstance(value, bool):
                raise TypeError
            value = operator.index(value)
        except TypeError:
            raise Invalid(f"{name} must be an integer from 1 to {MAX_SIZE}, got {value!r}",
                          name) from None
        if not 1 <= value <= MAX_SIZE:
            raise Invalid(f"{name} must be from 1 to {MAX_SIZE} pixels, got {value}", name)
        sizes.append(value)
    return sizes[0], sizes[1]


def check_format(fmt: str) -> str:
    """The canonical format name ('png', 'jpeg' or 'webp'), or Invalid."""
    name = _ALIASES.get(str(fmt).lower(), str(fmt).lower())
    if name not in MEDIA_TYPES:
        raise Invalid(f"unknown image format {fmt!r}; choose one of {', '.join(MEDIA_TYPES)}",
                      "format")
    return name
