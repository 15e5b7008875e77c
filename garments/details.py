"""A garment's details, checked, and the names it is stored under.

Size labels as stored ('m' -> 'M', on the fit's chart), chart order, the
name, category and fabric checks, and the id: the slug of the name and a
digest of everything that makes the garment what it is.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable

from garments.fabrics import fabric as fabric_preset
from garments.garment import CATEGORIES
from garments.mannequin import SIZES, letter_size
from garments.sizes import normalize_size
from tryon.core.settings import DEFAULT_TENANT


def chart_order(fit: str, sizes: Iterable[str]) -> list[str]:
    """Stored size labels in chart order, XS to XXL (numeric sizes by number within)."""
    return sorted(sizes, key=lambda size: (SIZES.index(letter_size(fit, size)),
                                           int(size) if size.isdigit() else 0))


def size_labels(fit: str, sizes: Iterable[str]) -> list[str]:
    """Size labels as stored ('m' -> 'M'); ValueError for unknown or repeated sizes."""
    labels = [size_label(fit, size) for size in sizes]
    if not labels:
        raise ValueError("a garment needs at least one size")
    if len(set(labels)) != len(labels):
        raise ValueError(f"each size once, please: got {', '.join(labels)}")
    return labels


def size_label(fit: str, size: str) -> str:
    """A size as stored: on the fit's chart (ValueError otherwise), upper case."""
    label = normalize_size(size)
    letter_size(fit, label)  # raises for unknown fits and sizes
    return label


def check_details(name: str, category: str, fabric: str, fit: str) -> None:
    if not str(name).strip():
        raise ValueError("a garment needs a name")
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
    fabric_preset(fabric)  # raises for unknown presets


def details_digest(*details):
    return hashlib.sha256(json.dumps(details, default=str).encode())


def slug(name: str) -> str:
    """'Linen Shirt (Blue)' -> 'linen-shirt-blue': ASCII, at most 40 characters."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    return slug or "garment"


def tenant_detail(tenant: str) -> tuple[str, ...]:
    """What the tenant adds to a garment's digest: nothing for the default tenant (a
    single store's ids stay as they were), its id for any other."""
    return () if tenant == DEFAULT_TENANT else (f"tenant:{tenant}",)
