"""Fit outcomes: the size bought after a size recommendation (no shopper data).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fit_outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.String(length=40), nullable=False),
        sa.Column("garment_id", sa.String(length=200), nullable=False),
        sa.Column("recommended_size", sa.String(length=16), nullable=False),
        sa.Column("alternative_size", sa.String(length=16), nullable=True),
        sa.Column("bought_size", sa.String(length=16), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fit_outcomes")))
    op.create_index("ix_fit_outcomes_tenant_id", "fit_outcomes", ["tenant_id"])
    op.create_index("ix_fit_outcomes_garment_id", "fit_outcomes", ["garment_id"])


def downgrade() -> None:
    op.drop_table("fit_outcomes")
