"""Size labels as tryon stores and compares them: "m", " M " and "M" are one size."""

from __future__ import annotations

from tryon.core.errors import Invalid


def normalize_size(size: object, field: str = "size") -> str:
    """The canonical label of ``size``: its text, trimmed, upper case ("38", "M", "XXL").

    Invalid (naming ``field``) when nothing is left.
    """
    label = str(size).strip().upper() if size is not None else ""
    if not label:
        raise Invalid("a size label cannot be empty", field)
    return label
