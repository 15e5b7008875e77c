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
    if (args.role == "talent") != (args.talent is not None):
        return _fail("a talent key speaks for one talent: give --talent ID with --role talent "
                     "(and only then); `tryon talents add` records one")
    try:
        with session_scope() as session:
            key, plaintext = create_key(session, args.role, args.origin, args.label)
            if args.talent is not None:
                from avatars.consent import bind_talent_key

                bind_talent_key(session, key, args.talent)
    except ValueError as e:
        return _fail(str(e))
    print(f"Created {key.role} key {key.prefix}" + (f" ({key.label})" if key.label else "")
          + (f" for talent {args.talent}" if args.talent else "")
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


# --- digital twins, consents, the usage ledger, content credentials (issue 5) ---

def cmd_talents_add(args) -> int:
    from avatars.consent import InvalidGrant, create_talent
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    try:
        with session_scope() as session:
            talent = create_talent(session, args.name)
    except InvalidGrant as e:
        return _fail(str(e))
    print(f"Recorded talent {talent.name!r}; its id:")
    print(talent.id)
    return 0


def cmd_talents_list(args) -> int:
    from sqlalchemy import select

    from tryon.database import session_scope, upgrade_database
    from tryon.db_models import Talent

    upgrade_database()
    with session_scope() as session:
        for t in session.scalars(select(Talent).order_by(Talent.created_at)):
            print(f"{t.id}  {t.created_at:%Y-%m-%d}  {t.name}")
    return 0


def cmd_consent_create(args) -> int:
    from avatars.consent import InvalidGrant, create_grant, describe_grant
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    try:
        document = Path(args.document).read_bytes()
    except OSError as e:
        return _fail(f"cannot read the document: {e}")
    media_type = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
                  ".jpeg": "image/jpeg", ".txt": "text/plain"}.get(
        Path(args.document).suffix.lower(), "application/octet-stream")
    try:
        with session_scope() as session:
            grant = create_grant(
                session, talent_id=args.talent, kind=args.kind, obtained_by=args.obtained_by,
                purpose=args.purpose, channels=args.channel, scope_key_prefixes=args.key,
                scope_origins=args.origin, twin_id=args.twin, pay_basis=args.pay_basis,
                pay_currency=args.currency, pay_amount_minor=args.amount_minor,
                starts_at=args.start, ends_at=args.end, scan_retention=args.scan_retention,
                document=document, document_name=Path(args.document).name,
                document_media_type=media_type)
            body = describe_grant(grant)
    except InvalidGrant as e:
        return _fail(f"{e.field}: {e}" if e.field else str(e))
    print(json.dumps(body, indent=2))
    return 0


def cmd_consent_list(args) -> int:
    from avatars.consent import describe_grant, grants_of
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    with session_scope() as session:
        grants = [describe_grant(g) for g in grants_of(session, args.talent)]
    if args.json:
        print(json.dumps(grants, indent=2))
        return 0
    for g in grants:
        scope = ",".join(g["scope"]["channels"]) or "-"
        print(f"{g['id']}  {g['kind']:8} {g['status']:8} {g['talent']}  {g['starts_at'][:10]}.."
              f"{g['ends_at'][:10]}  {scope}  {g['pay']['basis']} {g['pay']['amount_minor']} "
              f"{g['pay']['currency']}")
    return 0


def cmd_consent_revoke(args) -> int:
    from avatars.consent import InvalidGrant, describe_grant
    from tryon.database import upgrade_database
    from tryon.twin_revocation import revoke

    upgrade_database()
    try:
        grant, done = revoke(args.consent, args.reason, args.by)
    except KeyError as e:
        return _fail(e.args[0])
    except InvalidGrant as e:
        return _fail(str(e))
    print(json.dumps({**describe_grant(grant), "closed": done}, indent=2))
    return 0


def cmd_consent_sweep(args) -> int:
    from tryon.database import upgrade_database
    from tryon.twin_revocation import sweep

    upgrade_database()
    closed = sweep()
    print(f"carried out {len(closed)} ended consents" + (f": {' '.join(closed)}" if closed else ""))
    return 0


def cmd_twins_add(args) -> int:
    from avatars.consent import ConsentError
    from avatars.scans import ScanError
    from tryon.database import upgrade_database
    from tryon.twins import describe_twin, fit_twin, start_twin

    upgrade_database()
    try:
        data = Path(args.scan).read_bytes()
    except OSError as e:
        return _fail(f"cannot read the scan: {e}")
    try:
        twin = start_twin(data, Path(args.scan).name, args.consent, sex=args.sex,
                          skin_tone=args.skin_tone, label=args.label)
    except ConsentError as e:
        return _fail(e.detail)
    except (ScanError, ValueError) as e:
        return _fail(str(e))
    print(f"fitting twin {twin.id} (up to about a minute) ...", file=sys.stderr, flush=True)
    twin = fit_twin(twin.id)  # in this process: the command is the job runner
    print(json.dumps(describe_twin(twin), indent=2))
    return 0 if twin.status == "ready" else 1


def cmd_twins_list(args) -> int:
    from sqlalchemy import select

    from tryon.database import session_scope, upgrade_database
    from tryon.db_models import Twin
    from tryon.twins import describe_twin

    upgrade_database()
    with session_scope() as session:
        found = [describe_twin(t) for t in session.scalars(select(Twin).order_by(Twin.created_at))]
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    for t in found:
        p95 = ((t["fit"] or {}).get("percentiles_mm") or {}).get("p95")
        print(f"{t['id']}  {t['status']:9} {t['talent']}  {t['label']}"
              + (f"  fit p95 {p95:.1f} mm" if p95 is not None else ""))
    return 0


def cmd_ledger_verify(args) -> int:
    from avatars.usage_ledger import verify
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    with session_scope() as session:
        result = verify(session)
    for problem in result.problems:
        print(f"TAMPERED: {problem}")
    print(f"{result.entries} entries; head {result.head_seq} {result.head_hash}; "
          + ("the chain is intact" if result.ok else "THE LEDGER WAS ALTERED"))
    return 0 if result.ok else 1


def cmd_ledger_report(args) -> int:
    from avatars.usage_ledger import parse_period, report, report_csv
    from tryon.database import session_scope, upgrade_database

    upgrade_database()
    try:
        start, end = parse_period(args.period)
    except ValueError as e:
        return _fail(str(e))
    with session_scope() as session:
        rows = report(session, start, end, twin_id=args.twin, talent_id=args.talent)
    if args.format == "csv":
        sys.stdout.write(report_csv(rows))
    else:
        print(json.dumps({"period": args.period, "from": start.isoformat(), "to": end.isoformat(),
                          "grants": rows}, indent=2))
    return 0


def cmd_verify_image(args) -> int:
    from tryon.content_credentials import read_credentials

    try:
        found = read_credentials(Path(args.file).read_bytes())
    except (OSError, ValueError) as e:
        return _fail(str(e))
    print(json.dumps(found, indent=2))
    return 0 if found["c2pa"] is not None else 1


def _add_twin_commands(commands) -> None:
    from tryon.db_models import CHANNELS, CONSENT_KINDS, PAY_BASES, SCAN_RETENTIONS

    p = commands.add_parser("talents", help="models (talent) whose twins and consents we record")
    actions = p.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="record a model; prints their id last")
    add.add_argument("--name", required=True)
    add.set_defaults(run=cmd_talents_add)
    actions.add_parser("list", help="list talents").set_defaults(run=cmd_talents_list)

    p = commands.add_parser("consent", help="record, list, revoke consent grants")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="record a grant with its signed document")
    create.add_argument("--talent", required=True, help="the model's id (`tryon talents list`)")
    create.add_argument("--kind", required=True, choices=CONSENT_KINDS)
    create.add_argument("--obtained-by", required=True, help="who obtained the consent")
    create.add_argument("--purpose", required=True)
    create.add_argument("--document", required=True, help="the signed consent document")
    create.add_argument("--pay-basis", required=True, choices=PAY_BASES)
    create.add_argument("--currency", required=True, help="ISO 4217, e.g. USD")
    create.add_argument("--amount-minor", required=True, type=int, help="in minor units (cents)")
    create.add_argument("--start", required=True, help="ISO 8601 date or time (UTC)")
    create.add_argument("--end", required=True, help="ISO 8601; a date runs through that day")
    create.add_argument("--channel", action="append", default=[], choices=CHANNELS,
                        help="use grants: repeat for each channel")
    create.add_argument("--key", action="append", default=[],
                        help="use grants: an API key prefix (a brand) covered; repeat")
    create.add_argument("--origin", action="append", default=[],
                        help="use grants: a storefront origin covered; repeat")
    create.add_argument("--twin", help="use grants: cover this twin only")
    create.add_argument("--scan-retention", choices=SCAN_RETENTIONS,
                        help="creation grants: keep the raw scan encrypted, or delete it after fitting")
    create.set_defaults(run=cmd_consent_create)
    listing = actions.add_parser("list", help="list grants and their status")
    listing.add_argument("--talent")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=cmd_consent_list)
    revoke = actions.add_parser("revoke", help="revoke a grant at once, everywhere")
    revoke.add_argument("consent")
    revoke.add_argument("--reason", required=True)
    revoke.add_argument("--by", default="operator (command line)")
    revoke.set_defaults(run=cmd_consent_revoke)
    actions.add_parser("sweep", help="carry out expired grants (run it from cron)"
                       ).set_defaults(run=cmd_consent_sweep)

    p = commands.add_parser("twins", help="digital twins of consenting models")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=cmd_twins_list)
    add = p.add_subparsers(dest="action").add_parser(
        "add", help="fit a twin to a scan under a creation consent; prints it as JSON")
    add.add_argument("scan", help="PLY, OBJ or GLB; mesh or point cloud")
    add.add_argument("--consent", required=True, help="the model's active creation consent")
    add.add_argument("--sex", choices=["female", "male"])
    add.add_argument("--skin-tone", type=int, default=5, help="Monk skin tone 1-10")
    add.add_argument("--label")
    add.set_defaults(run=cmd_twins_add)

    p = commands.add_parser("ledger", help="the usage ledger of twins: verify, report pay")
    actions = p.add_subparsers(dest="action", required=True)
    actions.add_parser("verify", help="recompute the hash chain; exit 1 if it was altered"
                       ).set_defaults(run=cmd_ledger_verify)
    rep = actions.add_parser("report", help="uses and pay owed per grant for a month")
    rep.add_argument("--period", required=True, help="YYYY-MM")
    rep.add_argument("--format", default="json", choices=["json", "csv"])
    rep.add_argument("--twin")
    rep.add_argument("--talent")
    rep.set_defaults(run=cmd_ledger_report)

    p = commands.add_parser("verify-image", help="show an image's content credentials (C2PA, XMP)")
    p.add_argument("file")
    p.set_defaults(run=cmd_verify_image)


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
    create.add_argument("--talent", help="talent keys: the talent (`tryon talents add`) it speaks for")
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
    _add_twin_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
