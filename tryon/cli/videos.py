"""`tryon video`: a try-on clip of an avatar, turning or moving, as MP4 or WebM."""

from __future__ import annotations

import json
from pathlib import Path

from avatars.motion.names import MOTIONS
from tryon.cli.common import avatar_and_garments, fail
from tryon.cli.images import colour
from tryon.core.errors import Invalid
from tryon.render.video_params import FPS_RANGE, MAX_HEIGHT, MAX_SECONDS, MAX_WIDTH, VIDEO_MEDIA_TYPES
from tryon.render.views import VIEWS

FORMATS = {f".{fmt}": fmt for fmt in VIDEO_MEDIA_TYPES}


def cmd_video(args) -> int:
    # pyrender, PyAV, torch: only when the command runs
    from avatars.motion.retarget import BvhMotion
    from tryon.render.video import render_video

    fmt = FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        return fail(f"--out must end in one of {', '.join(FORMATS)}")
    if (args.garment is None) != (args.size is None):
        return fail("--garment and --size go together")
    motion, name = args.motion, args.motion
    if motion not in MOTIONS:
        path = Path(motion)
        if path.suffix.lower() != ".bvh" or not path.is_file():
            return fail(f"--motion is one of {', '.join(MOTIONS)} or a BVH file, not {motion!r}")
        try:
            motion, name = BvhMotion.from_bvh(path.read_bytes(), keep_root_motion=args.root_motion), path.stem
        except Invalid as e:
            return fail(f"{path}: {e}")
    avatar, store = avatar_and_garments(args.avatar, args.garment)
    try:
        video = render_video(avatar, args.garment, args.size, motion=motion, motion_name=name,
                             seconds=args.seconds, fps=args.fps, width=args.width, height=args.height,
                             fmt=fmt, view=args.view or ("three-quarter" if name in ("walk", "catwalk")
                                                         else "front"),
                             colorway=args.colorway, background=args.background, store=store)
    except (Invalid, ValueError) as e:  # a length, rate or size out of range
        return fail(str(e))
    Path(args.out).write_bytes(video.data)
    print(f"wrote {args.out} ({len(video.data)} bytes)")
    print(json.dumps(video.stats))
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser("video", help="a try-on clip: a turntable, a walk, a studio's BVH motion")
    p.add_argument("--avatar", required=True, help="avatar id (see `tryon avatars`)")
    p.add_argument("--garment", help="garment id (see `tryon garments`)")
    p.add_argument("--size", help="the garment's size")
    p.add_argument("--colorway", help="one of the garment's colorways, by id (default: as uploaded)")
    p.add_argument("--motion", default="turntable",
                   help=f"{', '.join(MOTIONS)}, or a .bvh file (default turntable)")
    p.add_argument("--root-motion", action="store_true",
                   help="a BVH motion: keep its travel across the floor (default: in place)")
    p.add_argument("--seconds", type=float, default=4.0, help=f"1-{MAX_SECONDS:g} (default 4)")
    p.add_argument("--fps", type=int, default=24, help=f"{FPS_RANGE[0]}-{FPS_RANGE[1]} (default 24)")
    p.add_argument("--width", type=int, default=512, help=f"even, up to {MAX_WIDTH} (default 512)")
    p.add_argument("--height", type=int, default=768, help=f"even, up to {MAX_HEIGHT} (default 768)")
    p.add_argument("--view", choices=list(VIEWS),
                   help="where the camera stands (default: three-quarter for walks, else front)")
    p.add_argument("--background", type=colour, help="a hex colour like #f4f1ec (default white)")
    p.add_argument("--out", required=True, help="the file to write: .mp4 (H.264) or .webm (VP9)")
    p.set_defaults(run=cmd_video)
