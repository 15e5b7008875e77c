"""`tryon talents` and `tryon consent`: the models (talent) and the consent grants they sign."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from tryon.cli.common import fail
from tryon.core.settings import settings
from tryon.storage.blobs import open_blob_store
from tryon.storage.database import session_scope, upgrade_database
from tryon.storage.models import CHANNELS, CONSENT_KINDS, PAY_BASES, SCAN_RETENTIONS, Talent
from tryon.twins.consent import InvalidGrant, create_grant, create_talent, describe_grant, grants_of
from tryon.twins.revocation import revoke, sweep


def cmd_talents_add(args) -> int:
    upgrade_database()
    try:
        with session_scope() as session:
            talent = create_talent(session, args.name)
    except InvalidGrant as e:
        return fail(str(e))
    print(f"Recorded talent {talent.name!r}; its id:")
    print(talent.id)
    return 0


def cmd_talents_list(args) -> int:
    upgrade_database()
    with session_scope() as session:
        for t in session.scalars(select(Talent).order_by(Talent.created_at)):
            print(f"{t.id}  {t.created_at:%Y-%m-%d}  {t.name}")
    return 0


def cmd_consent_create(args) -> int:
    upgrade_database()
    try:
        document = Path(args.document).read_bytes()
    except OSError as e:
        return fail(f"cannot read the document: {e}")
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
                captures_appearance=args.captures_appearance, document=document, document_name=Path(args.document).name,
                document_media_type=media_type, blobs=open_blob_store(settings()))
            body = describe_grant(grant)
    except InvalidGrant as e:
        return fail(f"{e.field}: {e}" if e.field else str(e))
    print(json.dumps(body, indent=2))
    return 0


def cmd_consent_list(args) -> int:
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
    upgrade_database()
    # NotFound and InvalidGrant are the user's: main says why
    grant, done = revoke(args.consent, args.reason, args.by, open_blob_store(settings()))
    print(json.dumps({**describe_grant(grant), "closed": done}, indent=2))
    return 0


def cmd_consent_sweep(args) -> int:
    upgrade_database()
    closed = sweep(open_blob_store(settings()))
    print(f"carried out {len(closed)} ended consents" + (f": {' '.join(closed)}" if closed else ""))
    return 0


def add_commands(commands) -> None:
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
    create.add_argument("--captures-appearance", action="store_true",
                        help="creation grants: the twin carries her skin's colours and surface detail "
                             "from the scan (sealed, deleted on withdrawal); else her shape only")
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
