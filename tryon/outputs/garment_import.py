"""Importing a garment with the body it was made on, as a job.

Fitting the body model to a source body takes about 20 s, so an upload that
comes with one (``POST /v1/garments`` with ``source_body``) is imported by a
job, never on a request thread: the route keeps the uploaded files in an
upload folder of the garment store (``GarmentStore.upload_folder``), which
every process that runs jobs shares, and queues ``garment_import``. The job
fits each source body once, imports the garment (all sizes or none), and
stores its outcome as a JSON document, the job's result:
``{"garment": {...} or null, "accepted": bool, "source_bodies": {size: fit
report}, "reports": {size: validation report}}``. A source body that cannot
be read or fitted fails the job with the reason (error code ``invalid``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from garments.colorways import Colorway, from_stored_form, write_textures
from garments.source_body import fit_source_body
from garments.size_chart import SizeChart, parse_size_chart
from garments.store import GarmentStore
from tryon.fit.chart_check import chart_conflicts
from tryon.core.settings import DEFAULT_TENANT, Settings
from tryon.storage.blobs import open_blob_store
from tryon.storage.render_index import record_render

GARMENT_IMPORT = "garment_import"
DOCUMENT_MEDIA_TYPE = "application/json"


def import_params(folder, details: Mapping[str, str], files: Mapping[str, str],
                  bodies: Mapping[str, str], sex: str | None = None,
                  units: str | None = None, colorways: list[Colorway] | None = None,
                  grade_to: list[str] | None = None, tenant: str = DEFAULT_TENANT,
                  size_chart: dict | None = None) -> dict[str, Any]:
    """A job's params. folder: the upload folder (a Path in the store's upload
    area); details: name, category, fabric, fit; files: {size: mesh file};
    bodies: {size: its source body file} (file names inside the folder); sex
    and units: the source bodies', if known; colorways: the garment's
    (their textures are written into the folder); grade_to: sizes to grade
    from the one size in ``files``; tenant: whose garment it becomes;
    size_chart: its chart (``SizeChart.stored_form``), checked already."""
    return {"folder": folder.name, **{k: details[k] for k in ("name", "category", "fabric", "fit")},
            "files": dict(files), "bodies": dict(bodies), "sex": sex, "units": units,
            "colorways": write_textures(folder, colorways or []), "grade_to": list(grade_to or []),
            "tenant": tenant, "size_chart": size_chart}


def set_size_chart(store: GarmentStore, garment, chart: SizeChart | None):
    """Give ``garment`` its size chart, each size's report warning where its mesh is
    smaller than the bodies its row is for (``tryon.fit.chart_check``)."""
    from tryon.drape.draping import authored_on  # torch, warp: not at import

    made = {s: (store.load_size(garment.id, s), authored_on(store, garment, s))
            for s in garment.sizes} if chart is not None else {}
    return store.set_size_chart(garment.id, chart, chart_conflicts(chart, made) if made else None)


def run_garment_import(params: Mapping[str, Any], config: Settings) -> str:
    """Fit the source bodies, import the garment; the digest of the outcome document."""
    return run_on_upload(params, config, GARMENT_IMPORT, _import)


def run_on_upload(params: Mapping[str, Any], config: Settings, kind: str,
                  work: Callable[[GarmentStore, Path, Mapping[str, Any]], dict]) -> str:
    """An import job on its upload folder: ``work(store, folder, params)`` gives the outcome
    document, which is stored (the merchant's own: private to its tenant) and named by its
    digest, returned; the upload folder then goes. A failed job is not run again: its
    upload goes too (a crash keeps it, for the job to run again)."""
    store = GarmentStore(config.garments_dir)
    folder = store.upload_folder(params["folder"])  # NotFound once imported or swept
    try:
        document = work(store, folder, params)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    data = json.dumps(document).encode()
    digest = open_blob_store(config).put(data)
    record_render(f"{kind}:{digest}", digest, DOCUMENT_MEDIA_TYPE, len(data),
                  private=True, tenant_id=params.get("tenant", DEFAULT_TENANT))  # reports: the merchant's own
    shutil.rmtree(folder, ignore_errors=True)  # the outcome is kept: the upload has served
    return digest


def _import(store: GarmentStore, folder: Path, params: Mapping[str, Any]) -> dict:
    fitted = {}
    for name in dict.fromkeys(params["bodies"].values()):
        fitted[name] = fit_source_body((folder / name).read_bytes(), name, params.get("sex"),
                                       params.get("units"))
    sources = {size: fitted[name] for size, name in params["bodies"].items()}
    details = [params[k] for k in ("name", "category", "fabric", "fit")]
    tenant = params.get("tenant", DEFAULT_TENANT)
    files = {size: folder / name for size, name in params["files"].items()}
    colorways = [from_stored_form(e, folder) for e in params.get("colorways", [])]
    if params.get("grade_to"):
        (base, path), = files.items()
        garment, reports = store.add_graded(*details, base, path, [base, *params["grade_to"]],
                                            source_body=sources[base], colorways=colorways,
                                            tenant=tenant)
    else:
        garment, reports = store.add(*details, files, sources, colorways, tenant)
    if garment is not None and params.get("size_chart"):
        garment = set_size_chart(store, garment, parse_size_chart(params["size_chart"]))
    return {"garment": None if garment is None else garment.to_dict(),
            "accepted": garment is not None,
            "source_bodies": {size: source.report for size, source in sources.items()},
            "reports": {size: report.as_dict() for size, report in reports.items()}}
