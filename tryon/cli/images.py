"""`tryon render`: images of an avatar, dressed in a garment or not."""

from __future__ import annotations

import argparse
from pathlib import Path

from tryon.cli.common import avatar_and_garments, fail
from tryon.render.views import VIEWS

FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def cmd_render(args) -> int:
    # pyrender, torch: only when the command runs
    from tryon.render.try_on import render_size_comparison, render_try_on

    fmt = FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        return fail(f"--out must end in one of {', '.join(FORMATS)}")
    if (args.garment is None) != (args.size is None):
        return fail("--garment and --size go together")
    if (args.fit_map or args.compare_size) and args.garment is None:
        return fail("--fit-map and --compare-size need --garment and --size")
    avatar, store = avatar_and_garments(args.avatar, args.garment)
    if args.colorway and args.garment is None:
        return fail("--colorway needs --garment and --size")
    options = dict(view=args.view, width=args.width, height=args.height, pose=args.pose,
                   fit_map=args.fit_map, background=args.background, fmt=fmt, store=store,
                   colorway=args.colorway)
    try:
        if args.compare_size:
            image = render_size_comparison(avatar, args.garment, (args.size, args.compare_size),
                                           **options)
        else:
            image = render_try_on(avatar, args.garment, args.size, **options)
    except ValueError as e:  # a view, pose or size the renderer refuses
        return fail(str(e))
    Path(args.out).write_bytes(image)
    print(f"wrote {args.out} ({len(image)} bytes)")
    return 0


def colour(text: str) -> tuple[int, int, int]:
    text = text.lstrip("#")
    if len(text) != 6:
        raise argparse.ArgumentTypeError("background must be a hex colour like #f4f1ec")
    try:
        return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        raise argparse.ArgumentTypeError("background must be a hex colour like #f4f1ec") from None


def add_commands(commands) -> None:
    p = commands.add_parser("render", help="render an avatar, dressed in a garment or not")
    p.add_argument("--avatar", required=True, help="avatar id (see `tryon avatars`)")
    p.add_argument("--garment", help="garment id (see `tryon garments`)")
    p.add_argument("--size", help="the garment's size")
    p.add_argument("--colorway", help="one of the garment's colorways, by id (default: as uploaded)")
    p.add_argument("--fit-map", nargs="?", const="stretch", choices=["stretch", "ease"],
                   help="colour the garment by fit, with a legend: stretch (loose, fits, tight; "
                        "the default) or ease (cm of room between body and cloth)")
    p.add_argument("--compare-size", help="a second size, rendered side by side")
    p.add_argument("--view", default="front", choices=list(VIEWS))
    p.add_argument("--pose", default="a-pose", help="a-pose (default), t-pose or relaxed")
    p.add_argument("--width", type=int, default=512, help="pixels, 1-2048")
    p.add_argument("--height", type=int, default=768, help="pixels, 1-2048")
    p.add_argument("--background", type=colour, default=None,
                   help="hex colour; transparent when omitted (PNG/WebP)")
    p.add_argument("--out", required=True, help="FILE.png, .jpg or .webp")
    p.set_defaults(run=cmd_render)
