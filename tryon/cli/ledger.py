"""`tryon ledger`: the usage ledger of twins: verify it, report pay, publish signed checkpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tryon.cli.common import fail
from tryon.storage.database import session_scope, upgrade_database
from tryon.twins.checkpoint import CheckpointError, make_checkpoint, publish, verify_against
from tryon.twins.ledger import parse_period, report, report_csv, verify


def cmd_ledger_verify(args) -> int:
    upgrade_database()
    if args.checkpoint:
        return _verify_checkpoint(args.checkpoint)
    with session_scope() as session:
        result = verify(session)
    for problem in result.problems:
        print(f"TAMPERED: {problem}")
    print(f"{result.entries} entries; head {result.head_seq} {result.head_hash}; "
          + ("the chain is intact" if result.ok else "THE LEDGER WAS ALTERED"))
    return 0 if result.ok else 1


def _verify_checkpoint(path: str) -> int:
    try:
        checkpoint = json.loads(Path(path).read_text())
        with session_scope() as session:
            check = verify_against(session, checkpoint)
    except (OSError, json.JSONDecodeError, CheckpointError) as e:
        return fail(f"{path}: {e}")
    for problem in check.problems:
        print(f"TAMPERED: {problem}")
    print(f"checkpoint at entry {check.seq}, signed by {check.signer}: "
          + ("the ledger matches the checkpoint" if check.ok else "THE LEDGER WAS ALTERED"))
    return 0 if check.ok else 1


def cmd_ledger_checkpoint(args) -> int:
    if not args.out and not args.post:
        return fail("say where the checkpoint goes: --out FILE, --post URL, or both")
    upgrade_database()
    try:
        with session_scope() as session:
            checkpoint = make_checkpoint(session)
    except CheckpointError as e:  # a ledger that does not verify is not signed
        return fail(str(e))
    text = json.dumps(checkpoint, indent=2)
    payload = checkpoint["payload"]
    print(f"signed the ledger's head: entry {payload['seq']}, {payload['head_hash']}")
    if args.out:
        Path(args.out).write_text(text + "\n")
        print(f"wrote {args.out}")
    if args.post:
        try:
            status = publish(checkpoint, args.post)
        except OSError as e:
            return fail(f"could not post the checkpoint to {args.post}: {e}")
        print(f"posted to {args.post}: HTTP {status}")
    return 0


def cmd_ledger_report(args) -> int:
    upgrade_database()
    try:
        start, end = parse_period(args.period)
    except ValueError as e:
        return fail(str(e))
    with session_scope() as session:
        rows = report(session, start, end, twin_id=args.twin, talent_id=args.talent)
    if args.format == "csv":
        sys.stdout.write(report_csv(rows))
    else:
        print(json.dumps({"period": args.period, "from": start.isoformat(), "to": end.isoformat(),
                          "grants": rows}, indent=2))
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser("ledger", help="the usage ledger of twins: verify, report pay, "
                                           "publish signed checkpoints")
    actions = p.add_subparsers(dest="action", required=True)
    check = actions.add_parser("verify", help="recompute the hash chain (and check it against a "
                                              "checkpoint); exit 1 if it was altered")
    check.add_argument("--checkpoint", metavar="FILE",
                       help="a checkpoint `tryon ledger checkpoint` wrote: its signature, its "
                            "signer, and that the ledger still holds its head")
    check.set_defaults(run=cmd_ledger_verify)
    point = actions.add_parser("checkpoint", help="sign the ledger's head with the content-"
                                                  "credentials key and publish it")
    point.add_argument("--out", metavar="FILE", help="write the checkpoint (JSON) here")
    point.add_argument("--post", metavar="URL", help="POST the checkpoint (JSON) to this URL")
    point.set_defaults(run=cmd_ledger_checkpoint)
    rep = actions.add_parser("report", help="uses and pay owed per grant for a month")
    rep.add_argument("--period", required=True, help="YYYY-MM")
    rep.add_argument("--format", default="json", choices=["json", "csv"])
    rep.add_argument("--twin")
    rep.add_argument("--talent")
    rep.set_defaults(run=cmd_ledger_report)
