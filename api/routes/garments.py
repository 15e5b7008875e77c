"""Garments: multipart upload of one file per size, listing, publishing, deleting.

Upload (``POST /v1/garments``, ``multipart/form-data``): fields ``name``,
``category``, ``fabric``, ``fit`` and one file per size in a field named
``size_<SIZE>`` (``size_S``, ``size_M``, ... on the letter chart
``SIZES``, or numeric EU sizes such as ``size_38``, which the store maps to
the chart of the garment's fit). Files are OBJ, GLB, glTF or PLY, told apart
by the extension of the uploaded file's name; that name is never used as a
path. Each file is saved under a fixed name in a temporary folder, then
imported by ``GarmentStore.add``: if any size is rejected the answer is 422
with every size's validation report and nothing is stored. Uploads are
limited to ``MAX_UPLOAD_BYTES`` in all (413 beyond).

Companion files (an OBJ's MTL and textures, a glTF's buffers) come in the
repeated field ``companion``; each is saved under its own base name next to
every size's file, so the mesh's references (``mtllib``, ``map_Kd``) resolve.
A companion name must be a plain file name of ``[A-Za-z0-9._-]`` (no folder
part, not ``.``/``..``); other names are refused (422, field ``companion``).

A garment made on another avatar comes with that avatar: a file in the field
``source_body`` (one body for every size) or ``source_body_<SIZE>`` (a body
per size), and optionally ``source_sex``. Fitting the body model to it takes
about 20 s, so such an upload is imported by a job
(``tryon.outputs.garment_import``): 201 when it finishes within the request
budget, else 202 with ``Location: /v1/jobs/{id}``, whose result (a JSON
document at ``/v1/blobs/{digest}``) says whether it was accepted, with the
fit of each source body and the validation reports.

A garment that exists as a sewing pattern comes as that pattern: a file in
the field ``pattern`` (DXF-AAMA / ASTM D6673 or GarmentCode), the sizes to
sew, and how its pieces are sewn (``api.pattern_forms``). It is read at once
(a 422 saying why when it cannot be used) and sewn on the mannequins by a
job (``tryon.outputs.pattern_import``), answered as a source body's import.

Colorways (``garments.colorways``): the field ``colorways``, a JSON list
such as ``[{"name": "Navy", "color": "#1f2a44"}, {"name": "Floral",
"texture": "floral.png", "fabric": "velvet"}]``, with each texture in the
repeated file field ``colorway_texture`` under the name the list gives it.
``PUT /v1/garments/{id}/colorways`` replaces them later with the same two
fields. Each garment lists its colorways; a render names one with
``colorway=<id>``; the GLB carries them all as material variants.

Publishable keys see published garments only; merchant and admin keys see
drafts too, and alone may upload, publish, unpublish and delete.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Dict, File, List, Nested, String
from apiflask.validators import Length, OneOf
from flask import jsonify, request

from api.auth import READ_ROLES, SECURITY, caller_sees, caller_tenant, is_secret_caller, require_key
from api.extensions import blob_store, garment_store, job_queue
from api.lookups import find_garment
from api.errors import ProblemError
from api.garment_forms import (
    COLORWAY_FIELDS,
    SIZE_CHART_FIELD,
    colorways_field,
    companions,
    grade_to_field,
    save_size,
    size_chart_field,
    source_bodies,
)
from api.pattern_forms import PATTERN_FIELDS, queue_pattern_import
from api.serving import POLL_AFTER_S, render_budget_s
from garments.colorways import ColorwayError
from garments.fabrics import FABRICS
from garments.garment import CATEGORIES
from avatars.scans.reading import FORMATS as SCAN_FORMATS, UNIT_SCALES
from garments.mannequin import FITS, NUMERIC_SIZES, SIZES
from tryon.core.errors import CODES
from tryon.outputs.garment_import import GARMENT_IMPORT, import_params, set_size_chart

garments = APIBlueprint("garments", __name__, url_prefix="/v1/garments", tag="Garments")

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # the whole request; Flask answers 413 beyond
# letter sizes, then every numeric EU size of any fit (the store checks it against the fit)
UPLOAD_SIZES = SIZES + tuple(sorted({n for chart in NUMERIC_SIZES.values() for n in chart}, key=int))


GarmentUpload = Schema.from_dict({
    "name": String(required=True, validate=Length(1, 200)),
    "category": String(required=True, validate=OneOf(CATEGORIES)),
    "fabric": String(required=True, validate=OneOf(list(FABRICS))),
    "fit": String(required=True, validate=OneOf(FITS)),
    # one optional file field per size on the chart (letter or numeric EU)
    **{f"size_{size}": File(metadata={"description": f"the mesh of size {size} (OBJ, GLB, glTF or PLY)"})
       for size in UPLOAD_SIZES},
    "companion": List(File(), metadata={
        "description": "files the meshes refer to (MTL, textures, buffers), by their base names; "
                       "repeat the field for each"}),
    "source_body": File(metadata={
        "description": "the avatar every size was made on (OBJ, GLB or PLY; any units, up axis "
                       "and standing pose), when not tryon's mannequin: imported by a job"}),
    **{f"source_body_{size}": File(metadata={"description": f"the avatar size {size} was made on"})
       for size in UPLOAD_SIZES},
    "source_sex": String(validate=OneOf(["female", "male"]), metadata={
        "description": "the source bodies' sex, if known (else the fit decides)"}),
    "source_units": String(validate=OneOf(list(UNIT_SCALES)), metadata={
        "description": "the source bodies' (and garments') units, if known (else found from "
                       "the bodies' size)"}),
    "grade_to": String(validate=Length(1, 200), metadata={
        "description": "sizes to grade from the one size uploaded, comma-separated (XS,S,L,XL): "
                       "each is placed on its size's mannequin shape, in the pose of the body the "
                       "upload was made on"}),
    **COLORWAY_FIELDS,
    "size_chart": SIZE_CHART_FIELD,
    **PATTERN_FIELDS,
}, name="GarmentUpload")

ColorwaysUpload = Schema.from_dict(COLORWAY_FIELDS, name="ColorwaysUpload")


class ColorwayOut(Schema):
    id = String(metadata={"description": "what a render names: colorway=<id>"})
    name = String()
    color = String(metadata={"description": "#rrggbb: the base colour, or a texture's mean colour"})
    has_texture = Boolean()
    fabric = String(allow_none=True)


class GarmentOut(Schema):
    id = String()
    name = String()
    category = String()
    fabric = String()
    fit = String()
    sizes = List(String())
    status = String()
    base_size = String(allow_none=True)
    created_at = String()
    reports = Dict(metadata={"description": "validation report per size (merchant/admin only)"})
    colorways = List(Nested(ColorwayOut))
    size_chart = Dict(allow_none=True, metadata={
        "description": "body measurements per size, cm: {unit, sizes: {size: {bust, waist, hips, "
                       "height, inseam: a number or [low, high]}}}; null without one"})
    pattern = Dict(allow_none=True, metadata={
        "description": "for a garment sewn from a pattern: its pieces, grain and stitches "
                       "(as /v1/patterns/check reports them) and each size's sewing report; else null"})


class GarmentList(Schema):
    garments = List(Nested(GarmentOut))


def describe(garment) -> dict:
    """A garment as the caller may see it: reports only for merchant and admin keys."""
    data = garment.to_dict()
    del data["tenant"]  # the caller's own (admins: see the key's tenant)
    data["colorways"] = [{k: v for k, v in c.items() if k not in ("texture", "digest")}
                         for c in garment.colorways]
    if not is_secret_caller():
        del data["reports"]
    return data


@garments.post("")
@require_key("merchant")
@garments.input(GarmentUpload, location="form_and_files")
@garments.output(GarmentOut, status_code=201)
@garments.doc(security=SECURITY, responses={
    201: "the garment, stored", 202: "a garment with a source body is being imported: poll the "
    "job at Location", 413: "the upload is too large", 422: "a size or source body is refused"})
def upload(form_and_files_data):
    """Upload a garment, one file per size; 422 with the reports if any size is rejected."""
    data = dict(form_and_files_data)
    files = {key.removeprefix("size_"): data.pop(key) for key in list(data)
             if key.startswith("size_") and key != "size_chart"}
    if data.get("pattern") is not None:
        if files or data.get("source_body") or data.get("grade_to"):
            raise ProblemError(422, "Unprocessable Entity", "send a pattern or meshes (size_*), not both; "
                               "a pattern is sewn in every size it has", "pattern")
        return _answer_import(queue_pattern_import(data, colorways_field(data)), "pattern")
    if not files:
        raise ProblemError(422, "Unprocessable Entity",
                           f"upload one file per size, in fields size_{'/size_'.join(SIZES)}", "size_M")
    extra = companions(data.pop("companion", None) or [])
    colorways = colorways_field(data)
    grade_to = grade_to_field(data, files)
    chart = size_chart_field(data, [*files, *grade_to])
    bodies = source_bodies(data, files)
    if bodies:
        return _import_with_source_bodies(data, files, extra, bodies, colorways, grade_to, chart)
    store = garment_store()
    with tempfile.TemporaryDirectory(prefix="upload-", dir=store.incoming()) as folder:
        paths = {size: save_size(Path(folder), size, upload_file, extra)
                 for size, upload_file in files.items()}
        try:
            if grade_to:
                (base, path), = paths.items()
                garment, reports = store.add_graded(data["name"], data["category"], data["fabric"],
                                                    data["fit"], base, path, [base, *grade_to],
                                                    colorways=colorways, tenant=caller_tenant())
            else:
                garment, reports = store.add(data["name"], data["category"], data["fabric"],
                                             data["fit"], paths, colorways=colorways,
                                             tenant=caller_tenant())
        except ColorwayError as e:
            raise ProblemError(422, "Unprocessable Entity", str(e), "colorways") from None
        except ValueError as e:
            raise ProblemError(422, "Unprocessable Entity", str(e)) from None
    if garment is not None and chart is not None:
        garment = set_size_chart(store, garment, chart)  # its reports warn against the chart
    return _outcome(garment, {size: report.as_dict() for size, report in reports.items()})


def _outcome(garment, reports: dict):
    """201 with a stored garment; 422 with every size's report when one was rejected."""
    if garment is None:
        rejected = [size for size, report in reports.items() if not report["accepted"]]
        raise ProblemError(422, "Unprocessable Entity",
                           f"rejected size(s) {', '.join(rejected)}: see reports; nothing was stored",
                           f"size_{rejected[0]}", reports=reports)
    return describe(garment), 201, {"Location": f"/v1/garments/{garment.id}"}


def _import_with_source_bodies(data: dict, files: dict, extra: dict, bodies: dict,
                               colorways: list | None, grade_to: list[str], chart):
    """Keep the files where a job can read them, queue the import, and wait for it
    up to the request budget: 201/422 as a plain upload, else 202 with the job."""
    folder = garment_store().upload_folder()
    names, body_names = {}, {}
    try:
        for size, upload_file in files.items():
            names[size] = str(save_size(folder, size, upload_file, extra).relative_to(folder))
        for number, upload_file in enumerate(dict.fromkeys(bodies.values())):
            suffix = Path(upload_file.filename or "").suffix.lower()
            name = f"source-body-{number}{suffix if suffix[1:] in SCAN_FORMATS else '.bin'}"
            upload_file.save(folder / name)
            body_names[upload_file] = name  # one file for every size is saved once
        params = import_params(folder, data, names,
                               {size: body_names[f] for size, f in bodies.items()},
                               data.get("source_sex"), data.get("source_units"), colorways,
                               grade_to, caller_tenant(),
                               None if chart is None else chart.stored_form())
    except BaseException:  # refused or cut off: nothing of the upload stays
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _answer_import(job_queue().submit(GARMENT_IMPORT, params), "source_body")


def _answer_import(job_id: str, field: str):
    """Wait for an import job up to the request budget: 201/422 as a plain upload, else
    202 with the job; a job that failed answers with its reason, naming ``field``."""
    queue = job_queue()
    budget = render_budget_s()
    job = queue.wait(job_id, budget) if budget > 0 else queue.get(job_id)
    if job.status == "failed":
        status = CODES.get(job.error_code, 500)  # invalid: a body or pattern that cannot be used
        raise ProblemError(*((status, "Unprocessable Entity") if status < 500
                             else (503, "Import failed")), job.error.split(": ", 1)[-1], field)
    if job.status == "done":
        outcome = json.loads(blob_store().get(job.result))
        garment = None if outcome["garment"] is None else garment_store().get(
            outcome["garment"]["id"])
        return _outcome(garment, outcome["reports"])
    response = jsonify(job=job_id, status=job.status, location=f"/v1/jobs/{job_id}")
    response.status_code = 202
    response.headers.update({"Location": f"/v1/jobs/{job_id}", "Retry-After": str(POLL_AFTER_S),
                             "Cache-Control": "no-store"})
    return response


@garments.put("/<garment_id>/colorways")
@require_key("merchant")
@garments.input(ColorwaysUpload, location="form_and_files")
@garments.output(GarmentOut)
@garments.doc(security=SECURITY, responses=[404, 422])
def put_colorways(garment_id: str, form_and_files_data):
    """Replace the garment's colorways (send an empty list, ``[]``, to remove them)."""
    find_garment(garment_id)
    data = dict(form_and_files_data)
    if "colorways" not in data:
        raise ProblemError(422, "Unprocessable Entity", "send the colorways list (JSON) in the "
                           "field colorways; [] removes them", "colorways")
    try:
        return describe(garment_store().set_colorways(garment_id, colorways_field(data)))
    except ColorwayError as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), "colorways") from None


@garments.put("/<garment_id>/size-chart")
@require_key("merchant")
@garments.output(GarmentOut)
@garments.doc(security=SECURITY, responses=[404, 422])
def put_size_chart(garment_id: str):
    """Give the garment its size chart (a JSON body: ``{"unit": "cm", "sizes": {...}}``,
    a row per size of the garment; ``null`` removes it)."""
    garment = find_garment(garment_id)
    text = request.get_data(as_text=True) if request.is_json else ""
    if text.strip() in ("", "null"):
        if not request.is_json:
            raise ProblemError(422, "Unprocessable Entity", "send the size chart as a JSON body "
                               "(Content-Type: application/json); null removes it", "size_chart")
        return describe(set_size_chart(garment_store(), garment, None))
    chart = size_chart_field({"size_chart": text}, garment.sizes)
    return describe(set_size_chart(garment_store(), garment, chart))


@garments.get("")
@require_key(*READ_ROLES)
@garments.output(GarmentList)
@garments.doc(security=SECURITY)
def list_garments():
    """Every garment the caller may see, oldest first."""
    secret = is_secret_caller()
    return {"garments": [describe(g) for g in garment_store().list()
                         if caller_sees(g.tenant) and (secret or g.status == "published")]}


@garments.get("/<garment_id>")
@require_key(*READ_ROLES)
@garments.output(GarmentOut)
@garments.doc(security=SECURITY, responses=[404])
def get_garment(garment_id: str):
    """One garment: sizes, status and (merchant/admin) validation reports."""
    return describe(find_garment(garment_id))


@garments.post("/<garment_id>/publish")
@require_key("merchant")
@garments.output(GarmentOut)
@garments.doc(security=SECURITY, responses=[404])
def publish(garment_id: str):
    """Show the garment to shoppers."""
    find_garment(garment_id)
    return describe(garment_store().set_status(garment_id, "published"))


@garments.post("/<garment_id>/unpublish")
@require_key("merchant")
@garments.output(GarmentOut)
@garments.doc(security=SECURITY, responses=[404])
def unpublish(garment_id: str):
    """Hide the garment from shoppers (back to draft)."""
    find_garment(garment_id)
    return describe(garment_store().set_status(garment_id, "draft"))


@garments.delete("/<garment_id>")
@require_key("merchant")
@garments.output({}, status_code=204)
@garments.doc(security=SECURITY, responses=[404])
def delete(garment_id: str):
    """Remove the garment and all its sizes."""
    find_garment(garment_id)
    try:
        garment_store().delete(garment_id)
    except (KeyError, FileNotFoundError):  # deleted meanwhile by another request
        raise ProblemError(404, "Not Found", f"no garment {garment_id!r}", "garment_id") from None
    return ""
