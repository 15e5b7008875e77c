"""A light pre-parse of OBJ text before trimesh reads it.

trimesh reads OBJ leniently and fails, when it fails, without line numbers.
This scan finds what a merchandiser can fix, by line: a word where a number
belongs, a face that points at a vertex the file does not have, a last line
cut off by an interrupted upload, binary data under an .obj name.

It also writes the text trimesh then reads: only the statements a garment
uses (``obj_statements``), every face as triangles (``polygons``) with
absolute 1-based ``v/vt`` indices. trimesh's order-keeping OBJ path records
a UV for the first three corners of a face only, so a quad or n-gon file
lost all its UVs; its other path splits vertices by normal, and it reads
relative (negative) indices from the end of the file. Given triangles and
no normals, its unmerging path keeps the file's vertex order, splits a
position only where it has several UVs (a seam), and drops unused vertices.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from garments.ingest.obj_statements import QUIET, READ, skipped_notes
from garments.ingest.polygons import triangulate

MAX_LISTED = 20  # problems listed one by one; the rest are counted

# Leading bytes of formats that arrive renamed to .obj.
_SIGNATURES = (
    (b"glTF", "a GLB file"), (b"ply", "a PLY file"), (b"PK\x03\x04", "a ZIP archive"),
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"Kaydara FBX Binary", "an FBX file"),
)
_NUMBER_COUNTS = {"v": (3, 7), "vt": (1, 3), "vn": (3, 3)}
_ELEMENT_NAMES = {0: "vertex", 1: "texture coordinate", 2: "normal"}


@dataclass(frozen=True)
class ScanProblem:
    code: str  # "parse_error", "non_finite", "truncated", "not_text"
    message: str
    line: int | None = None


@dataclass
class ObjScan:
    """problems: what stops the file loading; text: the OBJ for trimesh
    (see the module docstring), empty when there are problems; notes: what
    was skipped or changed on the way, in plain words."""

    problems: list[ScanProblem] = field(default_factory=list)
    more_problems: int = 0  # found beyond MAX_LISTED
    text: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, problem: ScanProblem) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)
        else:
            self.more_problems += 1


@dataclass
class _Faces:
    """The faces as read: corner_v (C,) 0-based vertex indices, corner_vt
    (C,) 0-based UV indices (-1: none), sizes (P,) corners per face."""

    corner_v: list[int] = field(default_factory=list)
    corner_vt: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)


def scan_obj(data: bytes) -> ObjScan:
    """Check OBJ bytes line by line and write trimesh's text; see the module docstring."""
    scan = ObjScan()
    if _looks_binary(data):
        scan.add(ScanProblem("not_text", _binary_message(data)))
        return scan
    lines = data.decode("utf-8", errors="replace").replace("\r\n", "\n").split("\n")
    totals = [0, 0, 0]  # v, vt, vn in the whole file
    for line in lines:
        key = line.split(maxsplit=1)[0] if line.strip() else ""
        if key in ("v", "vt", "vn"):
            totals[("v", "vt", "vn").index(key)] += 1

    seen = [0, 0, 0]  # v, vt, vn before the current line (for negative indices)
    positions, faces = [], _Faces()
    kept: list[str | None] = []  # statements for trimesh; None: the next face
    skipped: Counter[str] = Counter()
    cut_off = not data.endswith(b"\n")  # then the last line may be incomplete
    for number, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        key, values = tokens[0], tokens[1:]
        problem = None
        if key in _NUMBER_COUNTS:
            problem, numbers = _check_numbers(key, values, number)
            seen[("v", "vt", "vn").index(key)] += 1
            if key == "v" and problem is None:
                positions.append(numbers[:3])
        elif key == "f":
            problem = _check_face(values, number, seen, totals, faces)
            kept.append(None)
        elif key not in READ and key not in QUIET:
            skipped[key] += 1
        if key in READ and key != "f":
            kept.append(" ".join(tokens))  # tabs and runs of spaces trip trimesh's reader
        if problem is not None and cut_off and number == len(lines):
            problem = ScanProblem(
                "truncated",
                f"Line {number}, the last line, is cut off ({line.strip()[:40]!r}): the file "
                "looks truncated. Please upload it again.", number)
        if problem is not None:
            scan.add(problem)

    if totals[0] == 0 and not scan.problems:
        scan.add(ScanProblem("parse_error", "The OBJ file has no vertices ('v' lines)."))
    if scan.problems:
        return scan
    scan.notes = skipped_notes(skipped)
    if not any(k and k.startswith("mtllib ") for k in kept):
        named = [k.split(maxsplit=1)[1] for k in kept if k and k.startswith("usemtl ")]
        if named:
            scan.notes.append(f"The file names the material {named[0][:40]!r} but no MTL file "
                              "('mtllib'); the garment is shown in the default look.")
    scan.text = _text_for_trimesh(kept, positions, faces, scan.notes)
    return scan


def _text_for_trimesh(kept, positions, faces: _Faces, notes: list[str]) -> str:
    """OBJ text of the kept statements with each face (a None in kept)
    replaced by its triangles; adds notes on what changed."""
    if not faces.sizes:
        return "\n".join(k for k in kept if k is not None) + "\n"
    sizes = np.asarray(faces.sizes, dtype=np.int64)
    corner_v = np.asarray(faces.corner_v, dtype=np.int64)
    corner_vt = np.asarray(faces.corner_vt, dtype=np.int64)
    with_uv = corner_vt >= 0
    if with_uv.any() and not with_uv.all():
        notes.append("Some faces have texture coordinates and some do not, so none are kept.")
    triangles = triangulate(sizes, np.asarray(positions, dtype=np.float64)[corner_v])
    if with_uv.all():
        rows = np.stack([corner_v[triangles], corner_vt[triangles]], axis=2) + 1
        line = "f %d/%d %d/%d %d/%d"
    else:
        rows, line = corner_v[triangles] + 1, "f %d %d %d"
    face_lines = [line % tuple(row) for row in rows.reshape(len(triangles), -1).tolist()]

    polygons = [_count(int((sizes == 4).sum()), "quad"),
                _count(int((sizes > 4).sum()), "polygon of more sides", "polygons of more sides")]
    if any(polygons):
        split = " and ".join(p for p in polygons if p)
        notes.append(f"Split {split} into {_count(int((sizes[sizes > 3] - 2).sum()), 'triangle')}.")
    unused = len(positions) - len(np.unique(corner_v))
    if unused:
        notes.append(f"Dropped {_count(unused, 'vertex', 'vertices')} that no face uses.")

    ends = np.cumsum(sizes - 2).tolist()  # each face's triangles end here
    out, face = [], 0
    for statement in kept:
        if statement is None:
            out.extend(face_lines[ends[face] - (sizes[face] - 2):ends[face]])
            face += 1
        else:
            out.append(statement)
    return "\n".join(out) + "\n"


def _count(count: int, one: str, many: str | None = None) -> str:
    """'1 quad', '3 quads'; '' for none."""
    return "" if not count else f"{count:,} {one if count == 1 else many or one + 's'}"


def _check_numbers(key: str, values: list[str], line: int) -> tuple[ScanProblem | None, list]:
    """(problem or None, the values as floats)."""
    low, high = _NUMBER_COUNTS[key]
    what = _ELEMENT_NAMES[("v", "vt", "vn").index(key)]
    if not low <= len(values) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        return ScanProblem("parse_error", f"Line {line}: a {what} needs {expected} numbers, "
                           f"found {len(values)}.", line), []
    numbers = []
    for value in values:
        try:
            number = float(value)
        except ValueError:
            return ScanProblem("parse_error", f"Line {line}: {value[:20]!r} in a {what} "
                               "is not a number.", line), []
        if not math.isfinite(number):
            return ScanProblem("non_finite", f"Line {line}: a {what} has the value {value!r}; "
                               "coordinates must be finite numbers.", line), []
        numbers.append(number)
    return None, numbers


def _check_face(values, line, seen, totals, faces: _Faces) -> ScanProblem | None:
    """Check one face's corners; a good face is added to faces."""
    if len(values) < 3:
        return ScanProblem("parse_error", f"Line {line}: a face needs at least 3 corners, "
                           f"found {len(values)}.", line)
    corners = []
    for ref in values:
        parts = ref.split("/")
        if len(parts) > 3 or not parts[0]:
            return ScanProblem("parse_error", f"Line {line}: {ref!r} is not a face corner "
                               "(expected v, v/vt, v//vn or v/vt/vn).", line)
        indices = [-1, -1]  # v, vt; normals are not passed on
        for element, part in enumerate(parts):
            if not part:
                continue
            try:
                index = int(part)
            except ValueError:
                return ScanProblem("parse_error", f"Line {line}: {part[:20]!r} in face corner "
                                   f"{ref!r} is not a whole number.", line)
            problem = _check_index(index, element, line, seen, totals)
            if problem is not None:
                return problem
            if element < 2:  # 0-based absolute: relative ones count back from here
                indices[element] = index - 1 if index > 0 else seen[element] + index
        corners.append(indices)
    faces.corner_v.extend(c[0] for c in corners)
    faces.corner_vt.extend(c[1] for c in corners)
    faces.sizes.append(len(corners))
    return None


def _check_index(index, element, line, seen, totals) -> ScanProblem | None:
    name = _ELEMENT_NAMES[element]
    if index == 0:
        return ScanProblem("parse_error", f"Line {line}: {name} index 0 is not valid "
                           "(OBJ counts from 1).", line)
    if index > totals[element]:
        return ScanProblem("parse_error", f"Line {line}: the face refers to {name} {index}, but "
                           f"the file has only {totals[element]:,} {name}s.", line)
    if index < 0 and -index > seen[element]:
        return ScanProblem("parse_error", f"Line {line}: the face refers to {name} {index} "
                           f"(counting back), but only {seen[element]:,} come before it.", line)
    return None


def _looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: not text (first 64 KiB)."""
    head = data[:65536]
    if b"\x00" in head:
        return True
    control = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 12, 13))
    return control > len(head) // 100


def _binary_message(data: bytes) -> str:
    kind = next((name for magic, name in _SIGNATURES if data.startswith(magic)), None)
    guess = f" (it looks like {kind})" if kind else ""
    return (f"The file is named .obj but holds binary data, not OBJ text{guess}. Export the "
            "garment as OBJ, or upload the file under its real extension.")
