"""The validation report of one garment size, in plain language.

Each finding has a severity (``error`` rejects the size, ``warning`` should
be looked at, ``info`` is for the record), a stable code, and a message a
merchandiser can act on. Checks, in order (later checks need the earlier
ones to pass, so they stop at the first of the first four):

1. the file reads (parse errors, with OBJ line numbers);
2. at most ``MAX_TRIANGLES`` triangles;
3. every coordinate finite;
4. units: metres, or centimetres/millimetres converted to metres;
5. topology: degenerate and duplicate triangles, non-manifold edges,
   separate pieces, open edges (hems) with length and height;
6. placement on the size's mannequin: not far off, not deep inside, and
   (``garments.ingest.coverage``) around the body parts its category covers,
   near the body, nothing far off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from garments.ingest import coverage, mesh_checks, placement
from garments.ingest.loading import LoadResult, MeshData, load_mesh, weld
from garments.mannequin import letter_size, mannequin_geometry
from garments.source_body import SourceBody

MAX_TRIANGLES = 200_000
OFF_BODY = 0.3  # m from the mannequin's bounding box to the garment's centre
INSIDE_DEPTH = 0.02  # m below the mannequin's surface that counts as inside
INSIDE_SHARE_LIMIT = 0.05  # share of vertices inside that rejects the size
SEVERITIES = ("error", "warning", "info")
_NOUNS = {"top": "This top", "dress": "This dress", "skirt": "This skirt",
          "trousers": "This pair of trousers", "outerwear": "This jacket"}


@dataclass(frozen=True)
class Finding:
    severity: str  # one of SEVERITIES
    code: str
    message: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "details": self.details}


@dataclass
class ValidationReport:
    """Findings for one size; ``stats`` holds counts and the unit used.

    body: the body the garment must be on, in words ("the women's size M
    mannequin", "the source body"); advice: how to export it onto that body.
    """

    size: str
    mannequin: str
    findings: list[Finding] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    body: str = ""
    advice: str = ""

    def __post_init__(self):
        self.body = self.body or f"the {self.mannequin} mannequin"
        self.advice = self.advice or (
            f"Author it on {self.body} (`tryon mannequin` exports it) and export it as it sits "
            "there, in metres, Z-up, or upload it with the body it was made on "
            "(`--source-body`).")

    @property
    def accepted(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    def codes(self, severity: str | None = None) -> list[str]:
        return [f.code for f in self.findings if severity in (None, f.severity)]

    def add(self, severity: str, code: str, message: str, **details) -> None:
        self.findings.append(Finding(severity, code, message, details))

    def as_dict(self) -> dict:
        return {"size": self.size, "mannequin": self.mannequin, "accepted": self.accepted,
                "findings": [f.as_dict() for f in self.findings], "stats": self.stats}


def validate_file(source: str | os.PathLike | bytes, fit: str, size: str,
                  filename: str | None = None,
                  category: str | None = None) -> tuple[ValidationReport, MeshData | None]:
    """Load and validate one size's file; see ``validate_loaded``."""
    return validate_loaded(load_mesh(source, filename), fit, size, category)


def validate_loaded(loaded: LoadResult, fit: str, size: str, category: str | None = None,
                    source: SourceBody | None = None) -> tuple[ValidationReport, MeshData | None]:
    """The report of a loaded file, and its mesh in metres if accepted.

    ``category`` (``garments.garment.CATEGORIES``): the body parts the
    garment must go around; None checks nearness to the body only.
    ``source``: the body the garment was made on, in the file's frame; the
    mesh comes back in the body model's frame, on that body. Without it the
    garment must be on the size's mannequin.
    """
    report = _new_report(fit, size, source)
    for error in loaded.errors:
        details = {} if error.line is None else {"line": error.line}
        report.add("error", error.code, error.message, **details)
    for warning in loaded.warnings:
        report.add("warning", "missing_file", warning)
    for note in loaded.notes:
        report.add("info", "note", note)
    if loaded.mesh is None:
        return report, None
    return _check_mesh(report, loaded.mesh, fit, size, category, source)


def validate_mesh(mesh: MeshData, fit: str, size: str, category: str | None = None,
                  source: SourceBody | None = None) -> tuple[ValidationReport, MeshData | None]:
    """The report of a mesh (a graded size, say), and the mesh in metres if accepted."""
    return _check_mesh(_new_report(fit, size, source), mesh, fit, size, category, source)


def _new_report(fit: str, size: str, source: SourceBody | None = None) -> ValidationReport:
    mannequin = f"{fit}'s size {letter_size(fit, size)}"
    if source is None:
        return ValidationReport(size=str(size), mannequin=mannequin)
    return ValidationReport(size=str(size), mannequin=mannequin, body="the source body",
                            advice="Export the garment together with the body it was draped "
                                   "on, from the same scene, without moving either.")


def _check_mesh(report, mesh: MeshData, fit, size, category,
                source=None) -> tuple[ValidationReport, MeshData | None]:
    vertices, faces = mesh.vertices, mesh.faces
    report.stats.update(vertices=len(vertices), triangles=len(faces))
    if len(faces) > MAX_TRIANGLES:
        report.add("error", "too_many_triangles",
                   f"The mesh has {len(faces):,} triangles; the limit is {MAX_TRIANGLES:,}. "
                   "Reduce (decimate) it and upload it again.", triangles=len(faces),
                   limit=MAX_TRIANGLES)
        return report, None
    bad = np.flatnonzero(~np.isfinite(vertices).all(axis=1))
    if len(bad):
        report.add("error", "non_finite",
                   f"{len(bad):,} vertices have coordinates that are not numbers (NaN or "
                   f"infinity), the first being vertex {bad[0] + 1}. Fix or re-export the mesh.",
                   vertices=[int(i) + 1 for i in bad[:20]])
        return report, None

    if source is not None:  # the source body's transform knows the units and the frame
        mesh = MeshData(source.place(vertices), faces, mesh.uvs, mesh.material)
        report.stats["units"] = "from the source body"
        body = source.geometry()
    else:
        body = mannequin_geometry(fit, size)  # A-posed, with landmark heights
        mesh = _to_metres(report, mesh, body)
        if mesh is None:
            return report, None

    welded = weld(mesh.vertices, faces)
    report.stats["welded_vertices"] = len(welded.vertices)
    _check_topology(report, welded)
    _check_placement(report, welded.vertices, welded.faces, body, category)
    return report, (mesh if report.accepted else None)


def _to_metres(report: ValidationReport, mesh: MeshData, body) -> MeshData | None:
    """The mesh in metres, its units guessed next to the mannequin; None when no unit fits."""
    vertices, faces = mesh.vertices, mesh.faces
    unit = placement.guess_unit_scale(vertices, body.vertices)
    height = np.ptp(body.vertices[:, 2])
    extent = float(np.ptp(vertices, axis=0).max())
    if unit is None:
        report.add("error", "implausible_size",
                   f"The garment measures {extent:,.4g} units across, which fits neither metres, "
                   f"centimetres nor millimetres next to the {height:.2f} m mannequin. Export it "
                   "in metres, as authored on the mannequin.", extent=extent)
        return None
    scale, unit_name = unit
    report.stats["units"] = unit_name
    if scale != 1.0:
        report.add("info", "units_converted",
                   f"The coordinates look like {unit_name}: the garment measures {extent:,.0f} "
                   f"units across next to a {height:.2f} m mannequin. They were converted to "
                   f"metres (x {scale:g}).", unit=unit_name, scale=scale)
        mesh = MeshData(vertices * scale, faces, mesh.uvs, mesh.material)
    return mesh


def _check_topology(report: ValidationReport, welded) -> None:
    vertices, faces = welded.vertices, welded.faces
    degenerate = mesh_checks.degenerate_faces(vertices, faces)
    if degenerate.any():
        report.add("warning", "degenerate_faces",
                   f"{degenerate.sum():,} triangles have no area (corners in one place); the "
                   "cloth simulation leaves them out.", count=int(degenerate.sum()))
    duplicate = mesh_checks.duplicate_faces(faces) & ~degenerate
    if duplicate.any():
        report.add("warning", "duplicate_faces",
                   f"{duplicate.sum():,} triangles appear more than once; the cloth simulation "
                   "uses one copy.", count=int(duplicate.sum()))
    faces = faces[~degenerate & ~duplicate]
    shared = mesh_checks.non_manifold_edges(faces)
    if len(shared):
        z = vertices[shared].reshape(-1, 3)[:, 2]
        report.add("warning", "non_manifold_edges",
                   f"{len(shared):,} edges are shared by more than two triangles (at "
                   f"{_height_range(z)}); cloth can catch or fold there. Separate the panels "
                   "or merge the extra triangles.", count=len(shared))
    pieces = mesh_checks.piece_count(faces, len(vertices))
    report.stats["pieces"] = pieces
    if pieces > 1:
        report.add("info", "pieces",
                   f"The garment has {pieces} separate pieces (a loose collar or pocket, say); "
                   "that is allowed.", count=pieces)
    loops = mesh_checks.boundary_loops(vertices, faces)
    if loops:
        listed = "; ".join(f"{loop.length * 100:.0f} cm around at {loop.height:.2f} m height"
                           for loop in loops[:8])
        more = f"; and {len(loops) - 8} more" if len(loops) > 8 else ""
        report.add("info", "open_edges",
                   f"The garment has {len(loops)} open edge{'s' if len(loops) > 1 else ''} (hems, "
                   f"neckline, cuffs): {listed}{more}.", loops=[loop.as_dict() for loop in loops])
    else:
        report.add("info", "open_edges", "The garment has no open edges: it is a closed surface.",
                   loops=[])


def _check_placement(report: ValidationReport, vertices, faces, body, category) -> None:
    """On the size's mannequin (``body``, a ``BodyGeometry``): near its box,
    around the parts its category covers and near its surface, and not deep
    inside it; each check runs only when the one before passed, so the report
    says the first thing wrong."""
    offset = placement.offset_from_body(vertices, body.vertices)
    distance = float(np.linalg.norm(offset))
    if distance > OFF_BODY:
        report.add("error", "off_body",
                   f"The garment's centre lies {distance:.2f} m outside the bounding box of "
                   f"{report.body} ({placement.direction_words(offset)}), so it is not on it."
                   f"{_hints(report, vertices, body, category)} {report.advice}",
                   offset_m=[round(float(x), 4) for x in offset])
        return
    depth, surface = placement.depth_inside(vertices, body.vertices, body.faces)
    if _check_on_body(report, vertices, faces, body, category, np.abs(depth)):
        _check_inside(report, vertices, body, depth, surface)


def _check_on_body(report: ValidationReport, vertices, faces, body, category, distance) -> bool:
    """Around the parts its category covers, near the body, nothing far off
    (thresholds and their measurements: ``garments.ingest.coverage``).
    distance: (N,) metres from each vertex to the body's surface."""
    median, farthest = float(np.median(distance)), float(distance.max())
    report.stats.update(median_distance_m=round(median, 4), max_distance_m=round(farthest, 4))
    parts = coverage.covered_parts(category, body) if category else []
    missed = [s for s in (coverage.surround(vertices, faces, body, p) for p in parts)
              if not s.surrounds]
    problems = []
    if missed:
        problems.append(f"does not go around {report.body}'s " + _join(
            [f"{s.part.name} ({s.share:.0%} of the way)" for s in missed]))
    if median > coverage.NEAR_MEDIAN_M:
        problems.append(f"lies mostly away from the body (half of it more than {median * 100:.0f} "
                        "cm off)")
    if farthest > coverage.FAR_OFF_M:
        problems.append(f"reaches {farthest:.2f} m away from the body")
    if not problems:
        return True
    report.add("error", "not_on_body",
               f"{_NOUNS.get(category, 'This garment')} {_join(problems)}: "
               f"{_where(vertices, body, parts)}.{_hints(report, vertices, body, category)} "
               f"{report.advice}",
               missed=[{"part": s.part.name, "share": round(s.share, 3)} for s in missed],
               median_distance_m=round(median, 4), max_distance_m=round(farthest, 4))
    return False


def _check_inside(report: ValidationReport, vertices, body, depth, surface) -> None:
    regions = placement.inside_regions(depth, surface, body.vertices, INSIDE_DEPTH)
    count = sum(r.count for r in regions)
    if not count:
        return
    share = count / len(vertices)
    where = _join([f"the {r.name} ({r.count:,}, up to {r.depth * 100:.1f} cm deep)"
                   for r in regions[:3]])
    severity = "error" if share > INSIDE_SHARE_LIMIT else "warning"
    turned = (" It looks turned a quarter turn about the vertical (deeper than it is wide)."
              if coverage.looks_turned(vertices) else "")
    advice = (f"Check that it was made on {report.body}."
              if severity == "error" else "Check these parts in the authoring tool.")
    report.add(severity, "inside_body",
               f"{count:,} of {len(vertices):,} vertices ({share:.1%}) are more than "
               f"{INSIDE_DEPTH * 100:.0f} cm inside {report.body}, mostly at {where}.{turned} "
               f"{advice}", count=count, share=round(share, 4),
               regions=[{"region": r.name, "count": r.count, "depth_m": round(r.depth, 4)}
                        for r in regions])


def _hints(report: ValidationReport, vertices, body, category) -> str:
    """What the garment's shape says about how it was exported onto the
    mannequin, as sentences (a source body's frame and pose are its own)."""
    if report.body != f"the {report.mannequin} mannequin":
        return ""
    hints = []
    if coverage.looks_y_up(vertices):
        hints.append("It looks exported Y-up (its height runs along Y); tryon's frame is Z-up.")
    if category in ("top", "outerwear", "dress") and coverage.looks_t_posed(vertices, body):
        hints.append("It reaches wider than the mannequin's arms, as if made in a T-pose; the "
                     "mannequin stands in the A-pose.")
    return "".join(f" {h}" for h in hints)


def _where(vertices, body, parts) -> str:
    """Where the garment lies, and how far from where its category sits."""
    z = np.asarray(vertices)[:, 2]
    floor, stature = body.vertices[:, 2].min(), np.ptp(body.vertices[:, 2])
    centre = (z.min() + z.max()) / 2
    band = next(name for top, name in placement.BODY_BANDS if (centre - floor) / stature < top)
    where = f"it lies around the {band}"
    if parts:
        expected = float(np.mean([p.height for p in parts]))
        off = centre - expected
        if abs(off) > 0.1:
            where += f", {abs(off):.2f} m {'above' if off > 0 else 'below'} where it belongs"
    return where


def _join(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _height_range(z) -> str:
    low, high = float(np.min(z)), float(np.max(z))
    return f"{low:.2f} m height" if high - low < 0.01 else f"{low:.2f}-{high:.2f} m height"
