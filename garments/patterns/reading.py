"""A pattern file read by the reader its suffix names, within the limits; the sizes to sew."""

from __future__ import annotations

from garments.details import size_label
from garments.patterns.dxf_aama import read_dxf
from garments.patterns.garmentcode import read_garmentcode
from garments.patterns.pattern import MAX_PIECES, Pattern, PatternError
from garments.sizes import normalize_size

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


def sizes_to_sew(pattern: Pattern, requested: list[str] | None, fit: str) -> dict[str, str | None]:
    """{garment size: the pattern's size label} for the ``requested`` sizes (None: every size a
    graded pattern has). A pattern of one size (GarmentCode) is sewn as the one size requested.
    PatternError (field ``sizes``) for sizes the pattern or the fit's chart does not have."""
    if not pattern.sizes:
        if not requested or len(requested) != 1:
            raise PatternError("this pattern holds one size: name it in sizes (one size, e.g. M)", "sizes")
        return {_chart_size(requested[0], fit): None}
    by_label = {normalize_size(label): label for label in pattern.sizes}
    wanted = requested or list(pattern.sizes)
    missing = [size for size in wanted if normalize_size(size) not in by_label]
    if missing:
        raise PatternError(f"the pattern has no size {', '.join(missing)}; its sizes are "
                           f"{', '.join(pattern.sizes)}", "sizes")
    return {_chart_size(size, fit): by_label[normalize_size(size)] for size in wanted}


def _chart_size(size: str, fit: str) -> str:
    try:
        return size_label(fit, size)
    except ValueError as error:
        raise PatternError(f"{error}: a size is sewn on the mannequin of that size", "sizes") from None
