"""`tryon drape`: a garment draped on an avatar, exported as a mesh."""

from __future__ import annotations

import json
from pathlib import Path

from tryon.cli.common import avatar_and_garments, fail


def cmd_drape(args) -> int:
    import trimesh  # half a second

    from tryon.drape.draping import cached_drape  # torch, warp: only when the command runs

    suffix = Path(args.out).suffix.lower()
    if suffix not in (".glb", ".obj", ".ply"):
        return fail("--out must end in .glb, .obj or .ply")
    avatar, store = avatar_and_garments(args.avatar, args.garment)
    try:
        result = cached_drape(avatar, args.garment, args.size, args.pose, store=store)
    except ValueError as e:  # an unknown pose
        return fail(str(e))
    mesh = trimesh.Trimesh(result.render_positions, result.mesh.faces, process=False)
    if result.mesh.uvs is not None:
        mesh.visual = trimesh.visual.TextureVisuals(uv=result.mesh.uvs)
    data = mesh.export(file_type=suffix[1:])
    Path(args.out).write_bytes(data if isinstance(data, bytes) else data.encode())
    print(json.dumps(result.stats, indent=2))
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser("drape", help="drape a garment on an avatar and export it")
    p.add_argument("--avatar", required=True)
    p.add_argument("--garment", required=True)
    p.add_argument("--size", required=True)
    p.add_argument("--pose", default="a-pose", help="a-pose (default), t-pose or relaxed")
    p.add_argument("--out", required=True, help="FILE.glb, .obj or .ply")
    p.set_defaults(run=cmd_drape)
