"""A garment sewn from a sewing pattern, as a job.

``POST /v1/garments`` with a ``pattern`` file (and ``tryon garments
add-pattern``) read the pattern and the sewing document on the request
(a malformed one is a 422 at once, nothing stored), keep the files in an
upload folder of the garment store, and queue ``pattern_import``. The job
sews every size on its mannequin (``tryon.sewing``), reporting its progress,
imports the sewn sizes through the store as an upload of meshes (validated
the same way), records the pattern and each size's sewing report on the
garment, and stores its outcome as a JSON document, the job's result:
``{"garment": {...} or null, "accepted": bool, "sewing": {size: report},
"reports": {size: validation report}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from garments.colorways import Colorway, from_stored_form, write_textures
from garments.patterns.pattern import Pattern
from garments.patterns.reading import read_pattern
from garments.patterns.sewing_spec import SewingSpec, read_sewing_spec
from garments.size_chart import parse_size_chart
from garments.store import GarmentStore
from tryon.core.settings import DEFAULT_TENANT, Settings
from tryon.jobs.queue import report_progress
from tryon.outputs.garment_import import run_on_upload, set_size_chart
from tryon.sewing.garment_files import sew_files

PATTERN_IMPORT = "pattern_import"
PROGRESS_STEPS = 1000


def pattern_params(folder: Path, details: Mapping[str, str], pattern_file: str, units: str | None,
                   sizes: Mapping[str, str | None], sewing: str | None, colorways: list[Colorway] | None,
                   tenant: str = DEFAULT_TENANT, size_chart: dict | None = None) -> dict[str, Any]:
    """A job's params: the upload ``folder`` holding ``pattern_file``; details: name,
    category, fabric, fit; units: a DXF's; sizes: {garment size: the pattern's size label};
    sewing: the sewing document's text; colorways (their textures written into the folder);
    tenant; size_chart (``SizeChart.stored_form``)."""
    return {"folder": folder.name, **{k: details[k] for k in ("name", "category", "fabric", "fit")},
            "pattern": pattern_file, "units": units, "sizes": dict(sizes), "sewing": sewing,
            "colorways": write_textures(folder, colorways or []), "tenant": tenant, "size_chart": size_chart}


def sew_and_import(store: GarmentStore, folder: Path, pattern: Pattern, spec: SewingSpec,
                   sizes: Mapping[str, str | None], details: Mapping[str, str], colorways: list[Colorway],
                   tenant: str = DEFAULT_TENANT,
                   progress: Callable[[float, str], None] = lambda share, message: None):
    """Sew ``sizes`` of ``pattern`` into ``folder`` and import them: (garment or None, sewing
    reports by size, validation reports by size)."""
    paths, sewing = sew_files(pattern, dict(sizes), details["category"], details["fabric"], details["fit"],
                              folder, placements=spec.placements, stitches=spec.stitches, progress=progress)
    garment, reports = store.add(details["name"], details["category"], details["fabric"], details["fit"],
                                 paths, colorways=colorways, tenant=tenant)
    if garment is not None:
        garment = store.set_pattern(garment.id, {**pattern.report(edges=False), "sewing": sewing})
    return garment, sewing, reports


def run_pattern_import(params: Mapping[str, Any], config: Settings) -> str:
    """Sew the pattern in every size and import it; the digest of the outcome document."""
    return run_on_upload(params, config, PATTERN_IMPORT, _import)


def _import(store: GarmentStore, folder: Path, params: Mapping[str, Any]) -> dict:
    pattern = read_pattern((folder / params["pattern"]).read_bytes(), params["pattern"], params.get("units"))
    colorways = [from_stored_form(e, folder) for e in params.get("colorways", [])]
    garment, sewing, reports = sew_and_import(
        store, folder, pattern, read_sewing_spec(params.get("sewing")), params["sizes"], params, colorways,
        params.get("tenant", DEFAULT_TENANT),
        lambda share, message: report_progress(round(share * PROGRESS_STEPS), PROGRESS_STEPS))
    if garment is not None and params.get("size_chart"):
        garment = set_size_chart(store, garment, parse_size_chart(params["size_chart"]))
    return {"garment": None if garment is None else garment.to_dict(), "accepted": garment is not None,
            "sewing": sewing, "reports": {size: report.as_dict() for size, report in reports.items()}}
