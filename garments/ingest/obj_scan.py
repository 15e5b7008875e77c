"""A light check of OBJ text before trimesh parses it.

trimesh reads OBJ leniently and fails, when it fails, without line numbers.
This scan finds what a merchandiser can fix, by line: a word where a number
belongs, a face that points at a vertex the file does not have, a last line
cut off by an interrupted upload, binary data under an .obj name. It also
tells whether positions carry more than one UV (UV seams), which decides how
trimesh must load the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

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
    problems: list[ScanProblem] = field(default_factory=list)
    more_problems: int = 0  # found beyond MAX_LISTED
    has_uv_seams: bool = False

    def add(self, problem: ScanProblem) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)
        else:
            self.more_problems += 1


def scan_obj(data: bytes) -> ObjScan:
    """Check OBJ bytes line by line; see the module docstring."""
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
    position_uv = []  # (vertex, uv) index pairs of face corners
    cut_off = not data.endswith(b"\n")  # then the last line may be incomplete
    for number, line in enumerate(lines, start=1):
        tokens = line.split()
        if not tokens or tokens[0].startswith("#"):
            continue
        key, values = tokens[0], tokens[1:]
        if key in _NUMBER_COUNTS:
            problem = _check_numbers(key, values, number)
            seen[("v", "vt", "vn").index(key)] += 1
        elif key == "f":
            problem = _check_face(values, number, seen, totals, position_uv)
        else:
            problem = None  # groups, materials, smoothing: trimesh's business
        if problem is not None and cut_off and number == len(lines):
            problem = ScanProblem(
                "truncated",
                f"Line {number}, the last line, is cut off ({line.strip()[:40]!r}): the file "
                "looks truncated. Please upload it again.", number)
        if problem is not None:
            scan.add(problem)

    if totals[0] == 0 and not scan.problems:
        scan.add(ScanProblem("parse_error", "The OBJ file has no vertices ('v' lines)."))
    if position_uv:
        base = totals[1] + 1  # (vertex, uv) pairs as one integer each: fast to count
        pairs = np.unique(np.fromiter((v * base + t for v, t in position_uv), dtype=np.int64))
        scan.has_uv_seams = len(pairs) > len(np.unique(pairs // base))
    return scan


def _check_numbers(key: str, values: list[str], line: int) -> ScanProblem | None:
    low, high = _NUMBER_COUNTS[key]
    what = _ELEMENT_NAMES[("v", "vt", "vn").index(key)]
    if not low <= len(values) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        return ScanProblem("parse_error", f"Line {line}: a {what} needs {expected} numbers, "
                           f"found {len(values)}.", line)
    for value in values:
        try:
            number = float(value)
        except ValueError:
            return ScanProblem("parse_error", f"Line {line}: {value[:20]!r} in a {what} "
                               "is not a number.", line)
        if not math.isfinite(number):
            return ScanProblem("non_finite", f"Line {line}: a {what} has the value {value!r}; "
                               "coordinates must be finite numbers.", line)
    return None


def _check_face(values, line, seen, totals, position_uv) -> ScanProblem | None:
    if len(values) < 3:
        return ScanProblem("parse_error", f"Line {line}: a face needs at least 3 corners, "
                           f"found {len(values)}.", line)
    corners = []
    for ref in values:
        parts = ref.split("/")
        if len(parts) > 3 or not parts[0]:
            return ScanProblem("parse_error", f"Line {line}: {ref!r} is not a face corner "
                               "(expected v, v/vt, v//vn or v/vt/vn).", line)
        indices = []
        for element, part in enumerate(parts):
            if not part:
                indices.append(None)
                continue
            try:
                index = int(part)
            except ValueError:
                return ScanProblem("parse_error", f"Line {line}: {part[:20]!r} in face corner "
                                   f"{ref!r} is not a whole number.", line)
            problem = _check_index(index, element, line, seen, totals)
            if problem is not None:
                return problem
            # Resolve to 0-based absolute indices, as trimesh will.
            indices.append(index - 1 if index > 0 else seen[element] + index)
        corners.append(indices)
    position_uv.extend((c[0], c[1]) for c in corners if len(c) > 1 and c[1] is not None)
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
