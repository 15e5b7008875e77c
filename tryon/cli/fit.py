"""`tryon fit report`: the size match rate, how often shoppers bought the size recommended."""

from __future__ import annotations

import json

from tryon.storage.database import session_scope, upgrade_database
from tryon.storage.fit_outcomes import match_rates


def cmd_fit_report(args) -> int:
    upgrade_database()
    with session_scope() as session:
        rates = match_rates(session, args.tenant, args.garment)
    if args.json:
        print(json.dumps(rates, indent=2))
        return 0
    if not rates:
        print("No purchases reported yet (stores report them with POST /v1/fit/outcomes).")
        return 0
    print(f"{'garment':40} {'recommended':>11} {'purchases':>9} {'bought it':>9} "
          f"{'alternative':>11} {'match':>6}")
    for garment, total in sorted(rates.items()):
        for size, row in total["by_recommended_size"].items():
            _row(garment, size, row)
        _row(garment, "all", total)
    return 0


def _row(garment: str, size: str, row: dict) -> None:
    rate = "-" if row["match_rate"] is None else f"{row['match_rate']:.0%}"
    print(f"{garment:40} {size:>11} {row['purchases']:>9} {row['bought_recommended']:>9} "
          f"{row['bought_alternative']:>11} {rate:>6}")


def add_commands(commands) -> None:
    p = commands.add_parser("fit", help="size advice: how often the recommended size was bought")
    actions = p.add_subparsers(dest="action", required=True)
    report = actions.add_parser("report", help="the size match rate per garment and size")
    report.add_argument("--garment", help="one garment's id")
    report.add_argument("--tenant", help="one tenant's purchases (default: every tenant's)")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.set_defaults(run=cmd_fit_report)
