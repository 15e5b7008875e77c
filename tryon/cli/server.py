"""`tryon serve`, `tryon keys` and `tryon worker`: running the service, and the API keys it accepts."""

from __future__ import annotations

from tryon.cli.common import fail
from tryon.core.settings import settings
from tryon.storage.api_keys import create_key, list_keys, revoke_key
from tryon.storage.database import session_scope, upgrade_database
from tryon.core.settings import DEFAULT_TENANT
from tryon.storage.models import ROLES
from tryon.twins.consent import bind_talent_key


def cmd_serve(args) -> int:
    if args.dev:
        from api import create_app  # the app imports torch: only the commands that serve load it

        upgrade_database()
        create_app().run(host=args.host, port=args.port, threaded=True)
        return 0
    from api.server import serve  # gunicorn, Flask and torch: only `tryon serve` loads them

    # gunicorn: the master migrates the database, then forks the workers;
    # each builds its own app, job queue and renderer (api.server).
    print(f"tryon serving on http://{args.host}:{args.port}/ "
          f"({args.workers} workers x {args.threads} threads)", flush=True)
    serve(args.host, args.port, workers=args.workers, threads=args.threads)
    return 0


def cmd_keys_create(args) -> int:
    upgrade_database()
    if (args.role == "talent") != (args.talent is not None):
        return fail("a talent key speaks for one talent: give --talent ID with --role talent "
                    "(and only then); `tryon talents add` records one")
    try:
        with session_scope() as session:
            key, plaintext = create_key(session, args.role, args.origin, args.label, args.tenant)
            if args.talent is not None:
                bind_talent_key(session, key, args.talent)
    except ValueError as e:
        return fail(str(e))
    print(f"Created {key.role} key {key.prefix}" + (f" ({key.label})" if key.label else "")
          + (f" for talent {args.talent}" if args.talent else "")
          + ("" if args.tenant == DEFAULT_TENANT else f" of tenant {args.tenant}")
          + f"; origins: {', '.join(key.origins) or 'any (server-side key)'}.")
    print("Store it now; it is not shown again (tryon keeps only its hash):")
    print(plaintext)
    return 0


def cmd_keys_list(args) -> int:
    upgrade_database()
    with session_scope() as session:
        for k in list_keys(session):
            status = "revoked" if k.revoked_at else "active"
            print(f"{k.prefix}  {k.role:11} {status:7}  {k.created_at:%Y-%m-%d %H:%M}Z  "
                  f"{k.tenant_id:12} {k.label or '-'}  {' '.join(k.origins)}")
    return 0


def cmd_keys_revoke(args) -> int:
    upgrade_database()
    with session_scope() as session:
        key = revoke_key(session, args.prefix)
    if key is None:
        return fail(f"no key with prefix {args.prefix!r}; `tryon keys list` shows them")
    print(f"revoked {key.role} key {key.prefix}")
    return 0


def cmd_worker(args) -> int:
    if not settings().broker_url:
        return fail("TRYON_BROKER_URL is not set; point it at the broker, e.g. "
                    "TRYON_BROKER_URL=redis://127.0.0.1:6379/0 (without it, `tryon serve` "
                    "runs jobs in its own process and needs no worker)")
    from tryon.celery_app import app  # Celery and the task table (torch): the worker's own

    argv = ["worker", "--loglevel", args.loglevel, "--pool", args.pool]
    if args.concurrency:
        argv += ["--concurrency", str(args.concurrency)]
    app.worker_main(argv)
    return 0


def add_commands(commands) -> None:
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
    create.add_argument("--tenant", default=DEFAULT_TENANT,
                        help="the merchant account it acts for (`tryon tenants create`); "
                             f"default {DEFAULT_TENANT!r}; admin keys see every tenant")
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
