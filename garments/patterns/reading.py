"""A pattern file read by the reader its suffix names, within the limits."""

from __future__ import annotations

from garments.patterns.dxf_aama import read_dxf
from garments.patterns.garmentcode import read_garmentcode
from garments.patterns.pattern import MAX_PIECES, Pattern, PatternError

MAX_PATTERN_BYTES = 20 * 1024 * 1024
SUFFIXES = ("dxf", "json")


def read_pattern(data: bytes, filename: str, units: str | None = None) -> Pattern:
    """The pattern in a file's bytes: ``.dxf`` (DXF-AAMA / ASTM D6673; ``units`` mm, cm or
    in where the file's are wrong) or ``.json`` (GarmentCode, whose units are in it).
    PatternError, saying why, when it cannot be used."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in SUFFIXES:
        raise PatternError(f"{filename!r} is not a pattern format tryon reads: send a DXF-AAMA / "
                           "ASTM D6673 .dxf or a GarmentCode .json")
    if not data:
        raise PatternError(f"{filename} is empty")
    if len(data) > MAX_PATTERN_BYTES:
        raise PatternError(f"{filename} is {len(data) / 2**20:.1f} MB; a pattern file may be "
                           f"{MAX_PATTERN_BYTES // 2**20} MB")
    pattern = read_dxf(data, filename, units) if suffix == "dxf" else read_garmentcode(data, filename)
    if not pattern.pieces:
        raise PatternError(f"{filename} holds no usable pattern piece: "
                           + ("; ".join(pattern.notes) or "nothing was found"))
    if len(pattern.pieces) > MAX_PIECES:
        raise PatternError(f"{filename} has {len(pattern.pieces)} pieces; at most {MAX_PIECES}")
    return pattern
