"""Which OBJ statements a garment uses, and what to say about the rest.

Exporters (CLO, Marvelous Designer, Browzwear, Blender) write statements a
garment has no use for: free-form curves, lines, display settings, or their
own extensions. Those are skipped, never an error, with one note per
statement keyword so the merchandiser knows what was left out.
"""

from __future__ import annotations

from collections.abc import Mapping

# Statements passed on to trimesh (faces are rewritten, see obj_scan).
READ = frozenset({"v", "vt", "f", "o", "usemtl", "mtllib"})
# Read without a note: grouping and shading only. Pieces stay in the mesh
# whatever their group, and rendering computes its own normals.
QUIET = frozenset({"vn", "g", "s", "mg"})

_FREE_FORM = "free-form curves and surfaces"
_DISPLAY = "display settings"
# Statements of the OBJ format that hold nothing a garment uses, by what they hold.
_KINDS = {
    **dict.fromkeys(("vp", "cstype", "deg", "bmat", "step", "curv", "curv2", "surf", "parm",
                     "trim", "hole", "scrv", "sp", "end", "con", "ctech", "stech"), _FREE_FORM),
    "p": "points, which have no surface", "l": "lines, which have no surface",
    **dict.fromkeys(("lod", "bevel", "c_interp", "d_interp", "shadow_obj", "trace_obj",
                     "usemap", "maplib", "call", "csh"), _DISPLAY),
}


def skipped_notes(counts: Mapping[str, int]) -> list[str]:
    """One note per skipped statement keyword, in the order first seen.

    counts: keyword -> how many lines of it the file has.
    """
    notes = []
    for key, count in counts.items():
        what = f"{count:,} {key[:20]!r} statement{'s' if count != 1 else ''}"
        kind = _KINDS.get(key)
        if kind is None:
            notes.append(f"Skipped {what}, which {'is' if count == 1 else 'are'} not part of "
                         "the OBJ format (an exporter's own extension).")
        else:
            notes.append(f"Skipped {what} ({kind}), which garments do not use.")
    return notes
