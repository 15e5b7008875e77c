"""`tryon tenants`: the merchant accounts (brands, stores) that keys and garments belong to."""

from __future__ import annotations

from tryon.storage.database import session_scope, upgrade_database
from tryon.storage.tenants import create_tenant, list_tenants


def cmd_tenants_create(args) -> int:
    upgrade_database()
    with session_scope() as session:
        tenant = create_tenant(session, args.id, args.name)  # Invalid, Conflict: main says why
        print(f"Created tenant {tenant.id} ({tenant.name}); make its keys with "
              f"`tryon keys create --tenant {tenant.id} --role ...`")
    return 0


def cmd_tenants_list(args) -> int:
    upgrade_database()
    with session_scope() as session:
        for tenant in list_tenants(session):
            print(f"{tenant.id:24} {tenant.created_at:%Y-%m-%d %H:%M}Z  {tenant.name}")
    return 0


def add_commands(commands) -> None:
    p = commands.add_parser("tenants", help="merchant accounts: each sees only its own garments")
    actions = p.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="add a tenant")
    create.add_argument("id", help="a slug: lower-case letters, digits, dashes (shop-a)")
    create.add_argument("--name", help="a name to show (default: the id)")
    create.set_defaults(run=cmd_tenants_create)
    actions.add_parser("list", help="list tenants").set_defaults(run=cmd_tenants_list)
