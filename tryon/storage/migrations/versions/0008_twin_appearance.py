"""Twins' appearance: creation grants say whether it is captured; twins keep it sealed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # grants recorded before this asked nothing about appearance: they capture none
    with op.batch_alter_table("consent_grants") as batch:
        batch.add_column(sa.Column("captures_appearance", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    with op.batch_alter_table("twins") as batch:
        batch.add_column(sa.Column("appearance_blob", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("twins") as batch:
        batch.drop_column("appearance_blob")
    with op.batch_alter_table("consent_grants") as batch:
        batch.drop_column("captures_appearance")
