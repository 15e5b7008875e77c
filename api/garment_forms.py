"""The fields of a garment upload, read and checked: files, companions, source
bodies, colorways, grading and the size chart.

Each reader takes its fields out of the validated form (``data``) and answers
a 422 problem naming the field when one is wrong, so ``api.routes.garments``
(the upload and ``PUT .../colorways``) and ``api.routes.size_charts`` read
them one way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from apiflask.fields import File, List, String
from apiflask.validators import Length

from api.errors import ProblemError
from garments.colorways import MAX_COLORWAYS, ColorwayError, parse_colorways
from garments.ingest.loading import FORMATS
from garments.size_chart import SizeChart, SizeChartError, parse_size_chart
from garments.sizes import normalize_size

_COMPANION_NAME = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
MAX_SIZE_CHART = 16 * 1024  # characters of a size chart's JSON

COLORWAY_FIELDS = {
    "colorways": String(validate=Length(1, 64 * 1024), metadata={
        "description": 'JSON list of colorways: [{"name": "Navy", "color": "#1f2a44", '
                       '"fabric": "velvet"}, {"name": "Floral", "texture": "floral.png"}]; '
                       f"at most {MAX_COLORWAYS}"}),
    "colorway_texture": List(File(), metadata={
        "description": "the colorways' textures (PNG, JPEG or WebP), named as the list names "
                       "them; repeat the field for each"}),
}

SIZE_CHART_FIELD = String(validate=Length(1, MAX_SIZE_CHART), metadata={
    "description": 'JSON size chart: the body measurements (cm, or "unit": "in") each size is '
                   'made for: {"unit": "cm", "sizes": {"S": {"bust": 86, "waist": [66, 70], '
                   '"hips": 94}, ...}}, smallest size first; bust (or chest), waist, hips, '
                   'height, inseam'})


def save_size(folder: Path, size: str, upload_file, companions: dict[str, bytes]) -> Path:
    """Save one size's file, and the companions beside it, under fixed names."""
    suffix = Path(upload_file.filename or "").suffix.lower()
    # a fixed name; the client's name lends only its extension, if known
    path = folder / size / f"upload{suffix if suffix in FORMATS else '.bin'}"
    path.parent.mkdir()
    upload_file.save(path)
    for name, content in companions.items():
        if name == path.name:
            raise ProblemError(422, "Unprocessable Entity",
                               f"companion name {name!r} is taken by the mesh", "companion")
        (path.parent / name).write_bytes(content)
    return path


def source_bodies(data: dict, files: dict) -> dict:
    """{size: the uploaded source body file} from ``source_body`` and
    ``source_body_<SIZE>`` (taken out of ``data``); {} when there are none."""
    shared = data.pop("source_body", None)
    own = {key.removeprefix("source_body_"): data.pop(key)
           for key in list(data) if key.startswith("source_body_")}
    for size in own:
        if size not in files:
            raise ProblemError(422, "Unprocessable Entity", f"a source body for size {size}, "
                               f"which has no mesh (field size_{size})", f"source_body_{size}")
    if not shared and not own:
        return {}
    missing = [size for size in files if size not in own and not shared]
    if missing:
        raise ProblemError(422, "Unprocessable Entity",
                           f"size(s) {', '.join(missing)} have no source body: send one "
                           "source_body for every size, or source_body_<SIZE> for each",
                           f"source_body_{missing[0]}")
    return {size: own.get(size, shared) for size in files}


def colorways_field(data: dict) -> list | None:
    """The parsed colorways of ``colorways`` and ``colorway_texture`` (taken out of
    ``data``); None when there are none; 422 (field ``colorways``) saying what is wrong."""
    text = data.pop("colorways", None)
    uploads = data.pop("colorway_texture", None) or []
    if text is None:
        if uploads:
            raise ProblemError(422, "Unprocessable Entity", "colorway textures without a "
                               "colorways list that names them", "colorways")
        return None
    try:
        entries = json.loads(text)
        return parse_colorways(entries, companions(uploads, "colorway_texture"))
    except json.JSONDecodeError as e:
        raise ProblemError(422, "Unprocessable Entity", f"colorways is not JSON: {e}",
                           "colorways") from None
    except ColorwayError as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), "colorways") from None


def grade_to_field(data: dict, files: dict) -> list[str]:
    """The sizes ``grade_to`` names (taken out of ``data``); 422 unless one size was uploaded."""
    sizes = [s.strip() for s in (data.pop("grade_to", None) or "").split(",") if s.strip()]
    if sizes and len(files) != 1:
        raise ProblemError(422, "Unprocessable Entity", "grade_to grades the other sizes from one "
                           f"uploaded size; {len(files)} were uploaded", "grade_to")
    return sizes


def companions(uploads, field: str = "companion") -> dict[str, bytes]:
    """Uploaded files by their checked base names; 422 (``field``) for a name that
    is not a plain file name, or a name given twice."""
    found: dict[str, bytes] = {}
    for upload_file in uploads:
        name = upload_file.filename or ""
        if not _COMPANION_NAME.fullmatch(name) or name in (".", "..") or name.startswith("."):
            raise ProblemError(422, "Unprocessable Entity",
                               f"{field} names are plain file names of A-Z a-z 0-9 . _ -; "
                               f"got {name!r}", field)
        if name in found:
            raise ProblemError(422, "Unprocessable Entity", f"{field} {name!r} given twice",
                               field)
        found[name] = upload_file.read()
    return found




def size_chart_field(data: dict, sizes: list[str] | None = None) -> SizeChart | None:
    """The parsed ``size_chart`` (taken out of ``data``), None without one; 422 (field
    ``size_chart``) saying what is wrong, or which of ``sizes`` it leaves out."""
    text = data.pop("size_chart", None)
    if text is None:
        return None
    try:
        chart = parse_size_chart(json.loads(text))
    except json.JSONDecodeError as e:
        raise ProblemError(422, "Unprocessable Entity", f"size_chart is not JSON: {e}",
                           "size_chart") from None
    except SizeChartError as e:
        raise ProblemError(422, "Unprocessable Entity", str(e), "size_chart") from None
    missing = [s for s in (sizes or []) if normalize_size(s) not in chart.sizes]
    if missing:
        raise ProblemError(422, "Unprocessable Entity", f"the size chart has no row for size "
                           f"{', '.join(missing)}; give one for each size of the garment",
                           "size_chart")
    return chart
