"""Outputs know the garment they show and whether they are private, so ``/v1/blobs``
serves a draft garment's render only to merchant and admin keys.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("render_records") as batch:  # batch: SQLite alters by copying
        batch.add_column(sa.Column("garment_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("private", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("render_records") as batch:
        batch.drop_column("private")
        batch.drop_column("garment_id")
