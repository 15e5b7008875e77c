"""A garment's metadata: what it is, its sizes, its status and reports.

The meshes live next to it, one ``GarmentMesh`` per size (see
``garments.store``). Serialised as JSON.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from tryon.core.settings import DEFAULT_TENANT

CATEGORIES = ("top", "dress", "skirt", "trousers", "outerwear")
STATUSES = ("draft", "published")


@dataclass
class Garment:
    """id: slug of the name plus a short content hash; fabric: a preset name
    (``garments.fabrics``); fit: a mannequin fit ("women", "men"); sizes:
    size labels as the merchandiser gave them, in upload order; base_size:
    the size the others were graded from, if graded; reports: each size's
    validation report (``ValidationReport.as_dict()``); created_at: ISO 8601,
    UTC; colorways: each colorway's stored form
    (``garments.colorways.stored_form``), in the merchandiser's order;
    tenant: the merchant account it belongs to (``tryon.storage.tenants``);
    size_chart: the body measurements per size (``garments.size_chart``,
    its ``stored_form``), or None; pattern: for a garment sewn from a sewing
    pattern, what was read (``Pattern.report``: pieces, grain, stitches) and
    each size's sewing report (``tryon.sewing.sewing``), else None."""

    id: str
    name: str
    category: str
    fabric: str
    fit: str
    sizes: list[str]
    status: str = "draft"
    base_size: str | None = None
    reports: dict[str, dict] = field(default_factory=dict)
    created_at: str = ""
    colorways: list[dict] = field(default_factory=list)
    tenant: str = DEFAULT_TENANT
    size_chart: dict | None = None
    pattern: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict) -> Garment:
        return cls(**{**data, "sizes": list(data["sizes"]),
                      "reports": dict(data.get("reports", {})),
                      "colorways": list(data.get("colorways", []))})

    @classmethod
    def from_json(cls, text: str) -> Garment:
        return cls.from_dict(json.loads(text))
