"""The ``tryon`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}


def _fail(message: str) -> int:
    print(f"tryon: error: {message}", file=sys.stderr)
    return 2


def cmd_prepare(args) -> int:
    from avatars.registry import backend_name

    if backend_name() == "anny":
        from avatars.anny_model import prepare_anny

        prepare_anny()
    from avatars.library import prepare_library

    avatars = prepare_library()
    print(f"Ready: {len(avatars)} library avatars on the {backend_name()} body model.")
    return 0


def cmd_avatars(args) -> int:
    from avatars.library import library

    avatars = list(library().values())
    if args.json:
        print(json.dumps([a.summary() for a in avatars], indent=2))
        return 0
    for a in avatars:
        m = a.measurements
        print(f"{a.id:10} {a.label:28} tone {a.skin_tone:2}  chest {m['chest_girth']:5.1f}"
              f"  waist {m['waist_girth']:5.1f}  hips {m['hip_girth']:5.1f} cm")
    return 0


def cmd_render(args) -> int:
    from avatars.avatar import pose_avatar
    from avatars.library import get_avatar
    from tryon.body_render import render_body

    fmt = FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        return _fail(f"--out must end in one of {', '.join(FORMATS)}")
    try:
        avatar = get_avatar(args.avatar)
    except KeyError as e:
        return _fail(f"{e.args[0]}; `tryon avatars` lists them")
    model, body = pose_avatar(avatar, args.pose)
    try:
        image = render_body(
            body.vertices[0].numpy(), model.faces, body.joints[0].numpy(), model.landmarks,
            model.arm_vertex_mask(), avatar.skin_tone, view=args.view, width=args.width,
            height=args.height, background=args.background, fmt=fmt,
        )
    except ValueError as e:
        return _fail(str(e))
    Path(args.out).write_bytes(image)
    print(f"wrote {args.out} ({len(image)} bytes)")
    return 0


def cmd_serve(args) -> int:
    from api import create_app

    app = create_app()
    if args.dev:
        app.run(host=args.host, port=args.port, threaded=True)
        return 0
    import waitress

    print(f"tryon serving on http://{args.host}:{args.port}/")
    waitress.serve(app, host=args.host, port=args.port, threads=8)
    return 0


def _colour(text: str) -> tuple[int, int, int]:
    text = text.lstrip("#")
    if len(text) != 6:
        raise argparse.ArgumentTypeError("background must be a hex colour like #f4f1ec")
    try:
        return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        raise argparse.ArgumentTypeError("background must be a hex colour like #f4f1ec") from None


def build_parser() -> argparse.ArgumentParser:
    from avatars.poses import POSE_NAMES
    from tryon.views import VIEW_NAMES

    parser = argparse.ArgumentParser(prog="tryon", description="Virtual try-on for online stores.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("prepare", help="prepare body-model data and the avatar library once")
    p.set_defaults(run=cmd_prepare)

    p = commands.add_parser("avatars", help="list the avatar library")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_avatars)

    p = commands.add_parser("render", help="render a library avatar to an image")
    p.add_argument("--avatar", required=True, help="avatar id (see `tryon avatars`)")
    p.add_argument("--view", default="front", choices=VIEW_NAMES)
    p.add_argument("--pose", default="a-pose", choices=POSE_NAMES)
    p.add_argument("--width", type=int, default=512, help="pixels, 1-2048")
    p.add_argument("--height", type=int, default=768, help="pixels, 1-2048")
    p.add_argument("--background", type=_colour, default=None,
                   help="hex colour; transparent when omitted (PNG/WebP)")
    p.add_argument("--out", required=True, help="FILE.png, .jpg or .webp")
    p.set_defaults(run=cmd_render)

    p = commands.add_parser("serve", help="serve the API and demo page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--dev", action="store_true", help="Flask's development server")
    p.set_defaults(run=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
