"""The ``tryon`` command line: the parser, built from one module per resource."""

from __future__ import annotations

import argparse

from tryon.cli.common import fail
from tryon.core.errors import TryonError
from tryon.cli import (bodies, consent, drape, fit, garments, images, ledger, patterns, server,
                       tenants, twins, videos)


def build_parser() -> argparse.ArgumentParser:
    # Every command parses all these arguments, so add_commands imports only
    # light modules: the body model and solver cost seconds to import. Poses
    # and fits are checked by the commands that use them.
    parser = argparse.ArgumentParser(prog="tryon", description="Virtual try-on for online stores.")
    commands = parser.add_subparsers(dest="command", required=True)
    # In the order `tryon --help` lists them.
    for module in (bodies, images, videos, garments, patterns, drape, fit, server, tenants, consent,
                   twins, ledger):
        module.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except TryonError as e:  # the user's input or data, not a bug: the reason, no traceback
        return fail(str(e))
