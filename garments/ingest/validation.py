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
6. placement on the size's mannequin: not far off, not deep inside.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from garments.ingest import mesh_checks, placement
from garments.ingest.loading import LoadResult, MeshData, load_mesh, weld
from garments.mannequin import letter_size, mannequin_mesh

MAX_TRIANGLES = 200_000
OFF_BODY = 0.3  # m from the mannequin's bounding box to the garment's centre
INSIDE_DEPTH = 0.02  # m below the mannequin's surface that counts as inside
INSIDE_SHARE_LIMIT = 0.05  # share of vertices inside that rejects the size
SEVERITIES = ("error", "warning", "info")


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
    """Findings for one size; ``stats`` holds counts and the unit used."""

    size: str
    mannequin: str
    findings: list[Finding] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

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
                  filename: str | None = None) -> tuple[ValidationReport, MeshData | None]:
    """Load and validate one size's file; see ``validate_loaded``."""
    return validate_loaded(load_mesh(source, filename), fit, size)


def validate_loaded(loaded: LoadResult, fit: str,
                    size: str) -> tuple[ValidationReport, MeshData | None]:
    """The report of a loaded file, and its mesh in metres if accepted."""
    report = _new_report(fit, size)
    for error in loaded.errors:
        details = {} if error.line is None else {"line": error.line}
        report.add("error", error.code, error.message, **details)
    for note in loaded.notes:
        report.add("info", "note", note)
    if loaded.mesh is None:
        return report, None
    return _check_mesh(report, loaded.mesh, fit, size)


def validate_mesh(mesh: MeshData, fit: str, size: str) -> tuple[ValidationReport, MeshData | None]:
    """The report of a mesh (a graded size, say), and the mesh in metres if accepted."""
    return _check_mesh(_new_report(fit, size), mesh, fit, size)


def _new_report(fit: str, size: str) -> ValidationReport:
    return ValidationReport(size=str(size), mannequin=f"{fit}'s size {letter_size(fit, size)}")


def _check_mesh(report, mesh: MeshData, fit, size) -> tuple[ValidationReport, MeshData | None]:
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

    body = mannequin_mesh(fit, size)
    unit = placement.guess_unit_scale(vertices, body.vertices)
    height = np.ptp(body.vertices[:, 2])
    extent = float(np.ptp(vertices, axis=0).max())
    if unit is None:
        report.add("error", "implausible_size",
                   f"The garment measures {extent:,.4g} units across, which fits neither metres, "
                   f"centimetres nor millimetres next to the {height:.2f} m mannequin. Export it "
                   "in metres, as authored on the mannequin.", extent=extent)
        return report, None
    scale, unit_name = unit
    report.stats["units"] = unit_name
    if scale != 1.0:
        report.add("info", "units_converted",
                   f"The coordinates look like {unit_name}: the garment measures {extent:,.0f} "
                   f"units across next to a {height:.2f} m mannequin. They were converted to "
                   f"metres (x {scale:g}).", unit=unit_name, scale=scale)
        mesh = MeshData(vertices * scale, faces, mesh.uvs, mesh.material)

    welded = weld(mesh.vertices, faces)
    report.stats["welded_vertices"] = len(welded.vertices)
    _check_topology(report, welded)
    _check_placement(report, welded.vertices, body)
    return report, (mesh if report.accepted else None)


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


def _check_placement(report: ValidationReport, vertices, body) -> None:
    offset = placement.offset_from_body(vertices, body.vertices)
    distance = float(np.linalg.norm(offset))
    if distance > OFF_BODY:
        report.add("error", "off_body",
                   f"The garment's centre lies {distance:.2f} m outside the {report.mannequin} "
                   f"mannequin's bounding box ({placement.direction_words(offset)}), so it is not "
                   "on the mannequin. Author it on that mannequin and export it without moving "
                   "it.", offset_m=[round(float(x), 4) for x in offset])
        return
    depth, surface = placement.depth_inside(vertices, body.vertices, body.faces)
    regions = placement.inside_regions(depth, surface, body.vertices, INSIDE_DEPTH)
    count = sum(r.count for r in regions)
    if not count:
        return
    share = count / len(vertices)
    where = _join([f"the {r.name} ({r.count:,}, up to {r.depth * 100:.1f} cm deep)"
                   for r in regions[:3]])
    severity = "error" if share > INSIDE_SHARE_LIMIT else "warning"
    advice = (f"Check that it was authored on the {report.mannequin} mannequin."
              if severity == "error" else "Check these parts in the authoring tool.")
    report.add(severity, "inside_body",
               f"{count:,} of {len(vertices):,} vertices ({share:.1%}) are more than "
               f"{INSIDE_DEPTH * 100:.0f} cm inside the mannequin, mostly at {where}. {advice}",
               count=count, share=round(share, 4),
               regions=[{"region": r.name, "count": r.count, "depth_m": round(r.depth, 4)}
                        for r in regions])


def _join(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _height_range(z) -> str:
    low, high = float(np.min(z)), float(np.max(z))
    return f"{low:.2f} m height" if high - low < 0.01 else f"{low:.2f}-{high:.2f} m height"
