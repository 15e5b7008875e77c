"""The fields of a garment uploaded as a sewing pattern, read, checked and queued.

``POST /v1/garments`` with a ``pattern`` file instead of meshes: the pattern
(DXF-AAMA / ASTM D6673 or GarmentCode, ``garments.patterns``), the sizes to
sew (``sizes``, comma-separated; a graded DXF's every size by default), how
its pieces are sewn (``sewing``, ``garments.patterns.sewing_spec``) and a
DXF's units (``pattern_units``). Everything is read here, on the request, so
a file that cannot be used is a 422 saying why and nothing is stored; the
sewing runs in a job (``tryon.outputs.pattern_import``).
"""

from __future__ import annotations

import shutil

from apiflask.fields import File, String
from apiflask.validators import Length, OneOf

from api.auth import caller_tenant
from api.errors import ProblemError
from api.garment_forms import size_chart_field
from api.extensions import garment_store, job_queue
from garments.patterns.pattern import PatternError
from garments.patterns.reading import MAX_PATTERN_BYTES, SUFFIXES, read_pattern, sizes_to_sew
from garments.patterns.sewing_spec import MAX_SEWING_BYTES, read_sewing_spec
from tryon.outputs.pattern_import import PATTERN_IMPORT, pattern_params
from tryon.sewing.sewing import check_sewable

PATTERN_FIELDS = {
    "pattern": File(metadata={
        "description": "a sewing pattern instead of meshes: a DXF-AAMA / ASTM D6673 .dxf (graded) or "
                       f"a GarmentCode .json, at most {MAX_PATTERN_BYTES // 2**20} MB; sewn on the "
                       "mannequins by a job"}),
    "sizes": String(validate=Length(1, 200), metadata={
        "description": "with a pattern: the sizes to sew, comma-separated (a graded DXF: its sizes, "
                       "all by default; a GarmentCode pattern: its one size)"}),
    "sewing": String(validate=Length(1, MAX_SEWING_BYTES), metadata={
        "description": 'with a pattern: JSON {"stitches": [{"a": {"piece": "FRONT", "edge": 1}, '
                       '"b": {"piece": "BACK", "edge": 7}}], "placements": {"POCKET": {"part": '
                       '"torso", "side": 0, "anchor": "waist"}}}; edges as /v1/patterns/check '
                       "numbers them; a DXF needs stitches, a GarmentCode file has its own"}),
    "pattern_units": String(validate=OneOf(["mm", "cm", "in"]), metadata={
        "description": "with a DXF pattern: its units, where the file states them wrongly or not at all"}),
}


def queue_pattern_import(data: dict, colorways) -> str:
    """Read and check the pattern fields of the form ``data`` (and its size chart, against the
    sizes to be sewn), keep the files in an upload folder and queue the job; its id. 422
    (field named) for what cannot be used."""
    upload = data["pattern"]
    name = upload.filename or "pattern"
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content = upload.read()
    requested = [s.strip() for s in (data.get("sizes") or "").split(",") if s.strip()] or None
    try:
        pattern = read_pattern(content, name, data.get("pattern_units"))
        sizes = sizes_to_sew(pattern, requested, data["fit"])
        spec = read_sewing_spec(data.get("sewing"))
        for label in sizes.values():  # stitches and placements: refused now, not by the job
            check_sewable(pattern, label, data["category"], spec.placements, spec.stitches)
    except PatternError as error:
        raise ProblemError(422, "Unprocessable Entity", error.detail, error.field) from None
    chart = size_chart_field(data, list(sizes))  # a graded DXF's sizes are known only now
    if suffix not in SUFFIXES:
        raise ProblemError(422, "Unprocessable Entity", "a pattern is a .dxf or a .json", "pattern")
    folder = garment_store().upload_folder()
    try:
        (folder / f"pattern.{suffix}").write_bytes(content)
        params = pattern_params(folder, data, f"pattern.{suffix}", data.get("pattern_units"), sizes,
                                data.get("sewing"), colorways, caller_tenant(),
                                None if chart is None else chart.stored_form())
    except BaseException:  # refused or cut off: nothing of the upload stays
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job_queue().submit(PATTERN_IMPORT, params)
