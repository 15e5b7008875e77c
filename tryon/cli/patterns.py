"""`tryon patterns check`: what tryon reads in a sewing pattern file (DXF-AAMA or GarmentCode);
`tryon garments add-pattern`: a garment sewn from one."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from tryon.cli.common import fail, read_colorways
from tryon.core.settings import settings


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
        for edge in piece["edge_list"]:
            print(f"      edge {edge['edge']:2}: ({edge['from'][0]:g}, {edge['from'][1]:g}) to "
                  f"({edge['to'][0]:g}, {edge['to'][1]:g}) cm, {edge['length_cm']:g} cm")
    for stitch in report["stitches"]:
        print(f"  stitch {stitch['a']['piece']} edge {stitch['a']['edge']} to "
              f"{stitch['b']['piece']} edge {stitch['b']['edge']}")
    for note in report["notes"]:
        print(f"  note: {note}")
    return 0


def cmd_garments_add_pattern(args) -> int:
    # torch, Warp (the mannequins, the solver): only when the command runs
    from garments.patterns.reading import read_pattern, sizes_to_sew
    from garments.patterns.sewing_spec import read_sewing_spec
    from garments.store import GarmentStore
    from tryon.outputs.pattern_import import sew_and_import
    from tryon.sewing.sewing import check_sewable

    try:
        data = Path(args.file).read_bytes()
        sewing = Path(args.sewing).read_text() if args.sewing else None
        colorways = read_colorways(args.colorways) if args.colorways else []
    except (OSError, ValueError) as e:
        return fail(str(e))
    requested = [s.strip() for s in (args.sizes or "").split(",") if s.strip()] or None
    pattern = read_pattern(data, Path(args.file).name, args.units)  # a PatternError: main says why
    sizes, spec = sizes_to_sew(pattern, requested, args.fit), read_sewing_spec(sewing)
    if spec.stitches is None and not pattern.stitches:
        return fail("the pattern says nothing of how its pieces are sewn: give --sewing FILE.json "
                    'with its stitches ({"stitches": [{"a": {"piece", "edge"}, "b": {"piece", "edge"}}]}); '
                    "`tryon patterns check` numbers the edges")
    for label in sizes.values():  # stitches and placements, before any size is sewn
        check_sewable(pattern, label, args.category, spec.placements, spec.stitches)
    store = GarmentStore(settings().garments_dir)

    def progress(share: float, message: str) -> None:
        print(f"  {share:4.0%} {message}", file=sys.stderr, flush=True)

    details = {"name": args.name, "category": args.category, "fabric": args.fabric, "fit": args.fit}
    with tempfile.TemporaryDirectory() as folder:
        try:
            garment, sewing_reports, reports = sew_and_import(store, Path(folder), pattern, spec, sizes,
                                                              details, colorways, progress=progress)
        except ValueError as e:  # unknown fabric or fit, a piece that cannot be meshed or placed
            return fail(str(e))
    print(json.dumps({"garment": None if garment is None else garment.id, "accepted": garment is not None,
                      "sewing": sewing_reports, "reports": {s: r.as_dict() for s, r in reports.items()}},
                     indent=2))
    return 0 if garment is not None else 1


def add_pattern_command(actions, categories, fabrics) -> None:
    """`tryon garments add-pattern`, among the garments' actions."""
    add = actions.add_parser("add-pattern", help="sew a garment from a sewing pattern on the mannequins, "
                                                 "every size, and import it")
    add.add_argument("file", help="a graded .dxf (DXF-AAMA / ASTM D6673) or a GarmentCode .json")
    add.add_argument("--name", required=True)
    add.add_argument("--category", required=True, choices=categories)
    add.add_argument("--sizes", help="comma-separated sizes to sew (default: every size of a graded DXF; "
                                     "a GarmentCode file's one size)")
    add.add_argument("--fabric", default="woven-cotton", choices=fabrics)
    add.add_argument("--fit", default="women", help="women (default) or men")
    add.add_argument("--sewing", metavar="FILE.json",
                     help='how the pieces are sewn: {"stitches": [{"a": {"piece": "FRONT", "edge": 1}, '
                          '"b": {"piece": "BACK", "edge": 7}}], "placements": {...}} (a DXF needs it)')
    add.add_argument("--units", choices=("mm", "cm", "in"),
                     help="a DXF's units, where the file states them wrongly or not at all")
    add.add_argument("--colorways", metavar="FILE.json", help="its colorways, as for `garments add`")
    add.set_defaults(run=cmd_garments_add_pattern)


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
