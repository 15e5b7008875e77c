"""`tryon patterns check`: what tryon reads in a sewing pattern file (DXF-AAMA or GarmentCode)."""

from __future__ import annotations

import json
from pathlib import Path

from tryon.cli.common import fail


def cmd_patterns_check(args) -> int:
    from garments.patterns.reading import read_pattern  # ezdxf: only when the command runs

    try:
        data = Path(args.file).read_bytes()
    except OSError as e:
        return fail(f"cannot read {args.file}: {e.strerror}")
    report = read_pattern(data, Path(args.file).name, args.units).report()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.file}: {report['format']}, {len(report['pieces'])} pieces"
          + (f" in sizes {', '.join(report['sizes'])}" if report["sizes"] else ""))
    for piece in report["pieces"]:
        grain = "no grain line" if piece["grain_deg"] is None else f"grain {piece['grain_deg']:g} deg"
        print(f"  {piece['name']:16} {piece['size'] or '-':>5}  {piece['area_cm2']:8.1f} cm2  "
              f"{piece['width_cm']:5.1f} x {piece['height_cm']:5.1f} cm  {piece['edges']} edges  "
              f"{grain}  {piece['notches']} notches  x{piece['quantity']}")
    for stitch in report["stitches"]:
        print(f"  stitch {stitch['a']['piece']} edge {stitch['a']['edge']} to "
              f"{stitch['b']['piece']} edge {stitch['b']['edge']}")
    for note in report["notes"]:
        print(f"  note: {note}")
    return 0


def add_commands(commands) -> None:
    patterns = commands.add_parser("patterns", help="sewing patterns (DXF-AAMA / ASTM, GarmentCode)")
    actions = patterns.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="say what tryon reads in a pattern file: pieces, sizes, "
                                             "areas, grain, notches, stitches, and what it could not use")
    check.add_argument("file", help="a .dxf (DXF-AAMA / ASTM D6673) or a GarmentCode .json")
    check.add_argument("--units", choices=("mm", "cm", "in"),
                       help="a DXF's units, where the file states them wrongly or not at all")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=cmd_patterns_check)
