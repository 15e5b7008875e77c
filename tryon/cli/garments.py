"""`tryon mannequin` and `tryon garments`: the garment library and the mannequin it is authored on.

The garment store and the mannequins import the body model (torch, seconds):
the commands import them when they run, so that other commands start at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from garments.fabrics import FABRICS
from garments.garment import CATEGORIES
from tryon.cli.common import fail, read_colorways
from tryon.cli.patterns import add_pattern_command
from tryon.core.settings import settings


def cmd_mannequin(args) -> int:
    from garments.mannequin import export_mannequin, letter_size  # torch

    try:
        letter_size(args.fit, args.size)
        export_mannequin(args.fit, args.size, args.pose, Path(args.out))
    except ValueError as e:
        return fail(str(e))
    print(f"wrote {args.out}: {args.fit}'s size {args.size} mannequin, {args.pose}, metres, Z-up, facing -Y")
    return 0


def cmd_garments(args) -> int:
    from garments.store import GarmentStore  # torch

    garments = GarmentStore(settings().garments_dir).list()
    if args.json:
        print(json.dumps([{"id": g.id, "name": g.name, "category": g.category, "fabric": g.fabric,
                           "fit": g.fit, "sizes": g.sizes, "status": g.status} for g in garments],
                         indent=2))
        return 0
    for g in garments:
        print(f"{g.id:34} {g.name:22} {g.category:10} {g.fit:6} {','.join(g.sizes)}  {g.status}")
    return 0


def cmd_garments_add(args) -> int:
    # torch: the garment store, and the body model a source body is fitted with
    from garments.source_body import fit_source_body
    from garments.store import GarmentStore

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if len(sizes) != len(args.paths):
        return fail(f"--sizes names {len(sizes)} sizes for {len(args.paths)} files; give one size per file")
    try:
        colorways = read_colorways(args.colorways) if args.colorways else None
    except (ValueError, OSError) as e:
        return fail(f"--colorways: {e}")
    grade_to = [s.strip() for s in (args.grade_to or "").split(",") if s.strip()]
    if grade_to and len(sizes) != 1:
        return fail("--grade-to grades the other sizes from one base size: give one file and "
                    "one size in --sizes")
    sources, fitted = {}, None
    if args.source_body:
        try:
            data = Path(args.source_body).read_bytes()
        except OSError as e:
            return fail(f"cannot read the source body: {e}")
        print(f"fitting the body model to {args.source_body} (up to about a minute) ...",
              file=sys.stderr, flush=True)
        # a body that cannot be read or fitted is the user's: main says why
        fitted = fit_source_body(data, Path(args.source_body).name, args.source_sex,
                                 args.source_units)
        sources = dict.fromkeys(sizes, fitted)
    store = GarmentStore(settings().garments_dir)
    try:
        if grade_to:
            garment, reports = store.add_graded(
                args.name, args.category, args.fabric, args.fit, sizes[0], args.paths[0],
                [sizes[0], *grade_to], source_body=fitted, colorways=colorways)
        else:
            garment, reports = store.add(args.name, args.category, args.fabric, args.fit,
                                         dict(zip(sizes, args.paths)), sources, colorways)
    except (ValueError, OSError) as e:
        return fail(str(e))
    print(json.dumps({"garment": None if garment is None else garment.id,
                      "accepted": garment is not None,
                      "source_body": None if fitted is None else fitted.report,
                      "reports": {s: r.as_dict() for s, r in reports.items()}}, indent=2))
    return 0 if garment is not None else 1


def cmd_garments_colorways(args) -> int:
    from garments.store import GarmentStore  # torch

    store = GarmentStore(settings().garments_dir)
    if args.set is not None or args.clear:
        try:
            colorways = [] if args.clear else read_colorways(args.set)
            store.set_colorways(args.garment, colorways)
        except (ValueError, OSError) as e:
            return fail(str(e))
    print(json.dumps([{k: v for k, v in c.items() if k not in ("texture", "digest")}
                      for c in store.get(args.garment).colorways], indent=2))
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser("mannequin", help="export the mannequin garments are authored on")
    p.add_argument("--fit", default="women", help="women (default) or men")
    p.add_argument("--size", required=True, help="XS-XXL, or an EU size")
    p.add_argument("--pose", default="a-pose", help="a-pose (default), t-pose or relaxed")
    p.add_argument("--out", required=True, help="FILE.obj, .glb or .ply")
    p.set_defaults(run=cmd_mannequin)

    p = commands.add_parser("garments", help="list garments, or add one")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_garments)
    actions = p.add_subparsers(dest="action")
    add = actions.add_parser("add", help="import one file per size and print the validation report")
    add.add_argument("paths", nargs="+", help="one OBJ/GLB/glTF/PLY file per size")
    add.add_argument("--name", required=True)
    add.add_argument("--category", required=True, choices=CATEGORIES)
    add.add_argument("--sizes", required=True, help="comma-separated, one per file: XS,S,M")
    add.add_argument("--fabric", default="woven-cotton", choices=list(FABRICS))
    add.add_argument("--fit", default="women", help="women (default) or men")
    add.add_argument("--source-body", help="the avatar the garment was made on (OBJ, GLB, PLY; "
                     "any units, up axis, standing pose), exported with it; tryon fits its body "
                     "model to it. Without it, the garment must be on tryon's mannequin")
    add.add_argument("--source-sex", choices=["female", "male"],
                     help="the source body's sex, if known (else the fit decides)")
    add.add_argument("--source-units", choices=["m", "cm", "mm"],
                     help="the source body's units, if known (else found from its size)")
    add.add_argument("--grade-to", metavar="SIZES",
                     help="grade these sizes from the one file given (comma-separated: XS,S,L): "
                     "each is placed on its size's mannequin shape, in the pose of the body the "
                     "base was made on")
    add.add_argument("--colorways", metavar="FILE.json",
                     help='its colorways: a JSON list like [{"name": "Navy", "color": "#1f2a44"}, '
                     '{"name": "Floral", "texture": "floral.png", "fabric": "knit"}], textures '
                     "relative to the file")
    add.set_defaults(run=cmd_garments_add)
    add_pattern_command(actions, CATEGORIES, list(FABRICS))
    colorways = actions.add_parser("colorways", help="list a garment's colorways, or replace them")
    colorways.add_argument("garment", help="garment id (see `tryon garments`)")
    change = colorways.add_mutually_exclusive_group()
    change.add_argument("--set", metavar="FILE.json",
                        help="replace them with the colorways in FILE.json (as in `add --colorways`)")
    change.add_argument("--clear", action="store_true", help="remove every colorway")
    colorways.set_defaults(run=cmd_garments_colorways)
