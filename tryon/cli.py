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
    from tryon.config import log_progress

    if backend_name() == "anny":
        from avatars.anny_model import prepare_anny

        prepare_anny()
    from avatars.library import prepare_library

    from garments.mannequin import mannequins
    from garments.sample_garments import install_samples
    from garments.store import GarmentStore

    avatars = prepare_library()
    mannequins()
    install_samples(GarmentStore(), log=log_progress)
    print(f"Ready: {len(avatars)} library avatars on the {backend_name()} body model, "
          f"{len(GarmentStore().list())} garments.")
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
    from avatars.library import get_avatar
    from garments.store import GarmentStore
    from tryon.try_on import render_size_comparison, render_try_on

    fmt = FORMATS.get(Path(args.out).suffix.lower())
    if fmt is None:
        return _fail(f"--out must end in one of {', '.join(FORMATS)}")
    if (args.garment is None) != (args.size is None):
        return _fail("--garment and --size go together")
    if (args.fit_map or args.compare_size) and args.garment is None:
        return _fail("--fit-map and --compare-size need --garment and --size")
    try:
        avatar = get_avatar(args.avatar)
        if args.garment is not None:
            GarmentStore().get(args.garment)
    except KeyError as e:
        return _fail(f"{e.args[0]}; `tryon avatars` and `tryon garments` list them")
    options = dict(view=args.view, width=args.width, height=args.height, pose=args.pose,
                   fit_map=args.fit_map, background=args.background, fmt=fmt)
    try:
        if args.compare_size:
            image = render_size_comparison(avatar, args.garment, (args.size, args.compare_size),
                                           **options)
        else:
            image = render_try_on(avatar, args.garment, args.size, **options)
    except (ValueError, KeyError) as e:
        return _fail(str(e.args[0]) if isinstance(e, KeyError) else str(e))
    Path(args.out).write_bytes(image)
    print(f"wrote {args.out} ({len(image)} bytes)")
    return 0


def cmd_mannequin(args) -> int:
    from garments.mannequin import export_mannequin, letter_size

    try:
        letter_size(args.fit, args.size)
        export_mannequin(args.fit, args.size, args.pose, Path(args.out))
    except ValueError as e:
        return _fail(str(e))
    print(f"wrote {args.out}: {args.fit}'s size {args.size} mannequin, {args.pose}, metres, Z-up, facing -Y")
    return 0


def cmd_garments(args) -> int:
    from garments.store import GarmentStore

    garments = GarmentStore().list()
    if args.json:
        print(json.dumps([{"id": g.id, "name": g.name, "category": g.category, "fabric": g.fabric,
                           "fit": g.fit, "sizes": g.sizes, "status": g.status} for g in garments],
                         indent=2))
        return 0
    for g in garments:
        print(f"{g.id:34} {g.name:22} {g.category:10} {g.fit:6} {','.join(g.sizes)}  {g.status}")
    return 0


def cmd_garments_add(args) -> int:
    from garments.store import GarmentStore

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if len(sizes) != len(args.paths):
        return _fail(f"--sizes names {len(sizes)} sizes for {len(args.paths)} files; give one size per file")
    try:
        garment, reports = GarmentStore().add(args.name, args.category, args.fabric, args.fit,
                                              dict(zip(sizes, args.paths)))
    except (ValueError, OSError) as e:
        return _fail(str(e))
    print(json.dumps({"garment": None if garment is None else garment.id,
                      "accepted": garment is not None,
                      "reports": {s: r.as_dict() for s, r in reports.items()}}, indent=2))
    return 0 if garment is not None else 1


def _drape_args(args):
    """(avatar, garment id) for --avatar/--garment, or an error message."""
    from avatars.library import get_avatar
    from garments.store import GarmentStore

    try:
        avatar = get_avatar(args.avatar)
        GarmentStore().get(args.garment)
    except KeyError as e:
        return None, f"{e.args[0]}; `tryon avatars` and `tryon garments` list them"
    return avatar, None


def cmd_drape(args) -> int:
    import trimesh

    from tryon.drape import cached_drape

    suffix = Path(args.out).suffix.lower()
    if suffix not in (".glb", ".obj", ".ply"):
        return _fail("--out must end in .glb, .obj or .ply")
    avatar, error = _drape_args(args)
    if error:
        return _fail(error)
    try:
        result = cached_drape(avatar, args.garment, args.size, args.pose)
    except KeyError as e:
        return _fail(e.args[0])
    except ValueError as e:
        return _fail(str(e))
    mesh = trimesh.Trimesh(result.render_positions, result.mesh.faces, process=False)
    if result.mesh.uvs is not None:
        mesh.visual = trimesh.visual.TextureVisuals(uv=result.mesh.uvs)
    data = mesh.export(file_type=suffix[1:])
    Path(args.out).write_bytes(data if isinstance(data, bytes) else data.encode())
    print(json.dumps(result.stats, indent=2))
    return 0


def cmd_serve(args) -> int:
    if args.dev:
        from api import create_app
        from tryon.database import upgrade_database

        upgrade_database()
        create_app().run(host=args.host, port=args.port, threaded=True)
        return 0
    from tryon.server import serve

    # gunicorn: the master migrates the database, then forks the workers;
    # each builds its own app, job queue and renderer (tryon.server).
    print(f"tryon serving on http://{args.host}:{args.port}/ "
          f"({args.workers} workers x {args.threads} threads)", flush=True)
    serve(args.host, args.port, workers=args.workers, threads=args.threads)
    return 0


def cmd_keys_create(args) -> int:
    from tryon.api_keys import create_key
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    try:
        with session_scope() as session:
            key, plaintext = create_key(session, args.role, args.origin, args.label)
    except ValueError as e:
        return _fail(str(e))
    print(f"Created {key.role} key {key.prefix}" + (f" ({key.label})" if key.label else "")
          + f"; origins: {', '.join(key.origins) or 'any (server-side key)'}.")
    print("Store it now; it is not shown again (tryon keeps only its hash):")
    print(plaintext)
    return 0


def cmd_keys_list(args) -> int:
    from tryon.api_keys import list_keys
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    with session_scope() as session:
        for k in list_keys(session):
            status = "revoked" if k.revoked_at else "active"
            print(f"{k.prefix}  {k.role:11} {status:7}  {k.created_at:%Y-%m-%d %H:%M}Z  "
                  f"{k.label or '-'}  {' '.join(k.origins)}")
    return 0


def cmd_keys_revoke(args) -> int:
    from tryon.api_keys import revoke_key
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    with session_scope() as session:
        key = revoke_key(session, args.prefix)
    if key is None:
        return _fail(f"no key with prefix {args.prefix!r}; `tryon keys list` shows them")
    print(f"revoked {key.role} key {key.prefix}")
    return 0


def cmd_worker(args) -> int:
    import os

    if not os.environ.get("TRYON_BROKER_URL"):
        return _fail("TRYON_BROKER_URL is not set; point it at the broker, e.g. "
                     "TRYON_BROKER_URL=redis://127.0.0.1:6379/0 (without it, `tryon serve` "
                     "runs jobs in its own process and needs no worker)")
    from tryon.celery_app import app

    argv = ["worker", "--loglevel", args.loglevel, "--pool", args.pool]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    app.worker_main(argv)
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
    # Only light modules here: every command parses these arguments, and the
    # body model and solver cost seconds to import. Poses and fits are
    # checked by the commands that use them.
    from garments.fabrics import FABRICS
    from garments.garment import CATEGORIES
    from tryon.db_models import ROLES
    from tryon.views import VIEWS

    parser = argparse.ArgumentParser(prog="tryon", description="Virtual try-on for online stores.")
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("prepare", help="prepare body-model data and the avatar library once")
    p.set_defaults(run=cmd_prepare)

    p = commands.add_parser("avatars", help="list the avatar library")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_avatars)

    p = commands.add_parser("render", help="render an avatar, dressed in a garment or not")
    p.add_argument("--avatar", required=True, help="avatar id (see `tryon avatars`)")
    p.add_argument("--garment", help="garment id (see `tryon garments`)")
    p.add_argument("--size", help="the garment's size")
    p.add_argument("--fit-map", action="store_true", help="colour the garment by fit, with a legend")
    p.add_argument("--compare-size", help="a second size, rendered side by side")
    p.add_argument("--view", default="front", choices=list(VIEWS))
    p.add_argument("--pose", default="a-pose", help="a-pose (default), t-pose or relaxed")
    p.add_argument("--width", type=int, default=512, help="pixels, 1-2048")
    p.add_argument("--height", type=int, default=768, help="pixels, 1-2048")
    p.add_argument("--background", type=_colour, default=None,
                   help="hex colour; transparent when omitted (PNG/WebP)")
    p.add_argument("--out", required=True, help="FILE.png, .jpg or .webp")
    p.set_defaults(run=cmd_render)

    p = commands.add_parser("mannequin", help="export the mannequin garments are authored on")
    p.add_argument("--fit", default="women", help="women (default) or men")
    p.add_argument("--size", required=True, help="XS-XXL, or an EU size")
    p.add_argument("--pose", default="a-pose", help="a-pose (default), t-pose or relaxed")
    p.add_argument("--out", required=True, help="FILE.obj, .glb or .ply")
    p.set_defaults(run=cmd_mannequin)

    p = commands.add_parser("garments", help="list garments, or add one")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_garments)
    add = p.add_subparsers(dest="action").add_parser(
        "add", help="import one file per size and print the validation report")
    add.add_argument("paths", nargs="+", help="one OBJ/GLB/glTF/PLY file per size")
    add.add_argument("--name", required=True)
    add.add_argument("--category", required=True, choices=CATEGORIES)
    add.add_argument("--sizes", required=True, help="comma-separated, one per file: XS,S,M")
    add.add_argument("--fabric", default="woven-cotton", choices=list(FABRICS))
    add.add_argument("--fit", default="women", help="women (default) or men")
    add.set_defaults(run=cmd_garments_add)

    p = commands.add_parser("drape", help="drape a garment on an avatar and export it")
    p.add_argument("--avatar", required=True)
    p.add_argument("--garment", required=True)
    p.add_argument("--size", required=True)
    p.add_argument("--pose", default="a-pose", help="a-pose (default), t-pose or relaxed")
    p.add_argument("--out", required=True, help="FILE.glb, .obj or .ply")
    p.set_defaults(run=cmd_drape)

    p = commands.add_parser("serve", help="serve the API and demo page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--threads", type=int, default=4, help="request threads per worker (default 4)")
    p.add_argument("--dev", action="store_true", help="Flask's development server (one process)")
    p.set_defaults(run=cmd_serve)

    p = commands.add_parser("keys", help="create, list and revoke API keys")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key; prints it alone on the last line, once")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--origin", action="append", default=[],
                        help="scheme://host[:port] allowed to use the key; repeat for more; "
                             "publishable keys need one")
    create.add_argument("--label", help="a note to recognise the key by")
    create.set_defaults(run=cmd_keys_create)
    actions.add_parser("list", help="list keys (never their secrets)").set_defaults(run=cmd_keys_list)
    revoke = actions.add_parser("revoke", help="revoke a key at once, everywhere")
    revoke.add_argument("prefix", help="the key's prefix, as `tryon keys list` shows it")
    revoke.set_defaults(run=cmd_keys_revoke)

    p = commands.add_parser("worker", help="run jobs from $TRYON_BROKER_URL (Celery worker)")
    p.add_argument("--concurrency", type=int, help="worker processes (default: one per CPU)")
    p.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"],
                   help="prefork (default): one renderer per process; solo: in this process")
    p.add_argument("--loglevel", default="info")
    p.set_defaults(run=cmd_worker)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
