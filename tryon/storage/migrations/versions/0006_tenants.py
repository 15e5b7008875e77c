"""Tenants: merchant accounts that keys, garments and outputs belong to; shoppers'
measured bodies remember the sites and tenants that made them.

Every existing key joins the default tenant (a single store changes nothing);
existing measured bodies stay visible to every tenant (empty lists).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tenants = op.create_table(
        "tenants",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.bulk_insert(tenants, [{"id": "default", "name": "Default store",
                              "created_at": datetime.now(timezone.utc)}])
    with op.batch_alter_table("api_keys") as batch:  # batch: SQLite alters by copying
        batch.add_column(sa.Column("tenant_id", sa.String(length=40), nullable=False,
                                   server_default="default"))
        batch.create_foreign_key("fk_api_keys_tenant_id_tenants", "tenants", ["tenant_id"],
                                 ["id"])
    with op.batch_alter_table("render_records") as batch:
        batch.add_column(sa.Column("tenant_id", sa.String(length=40), nullable=True))
    with op.batch_alter_table("measured_avatars") as batch:
        batch.add_column(sa.Column("origins", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("tenants", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("measured_avatars") as batch:
        batch.drop_column("tenants")
        batch.drop_column("origins")
    with op.batch_alter_table("render_records") as batch:
        batch.drop_column("tenant_id")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_constraint("fk_api_keys_tenant_id_tenants", type_="foreignkey")
        batch.drop_column("tenant_id")
    op.drop_table("tenants")
