"""Digital twins: talents, consent grants, twins, their cached outputs, the usage ledger.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64  # the "previous hash" of the ledger's first entry (tryon.twins.ledger)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "talents",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talents")),
    )
    op.create_table(
        "talent_keys",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("talent_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["api_key_id"], ["api_keys.id"],
                                name=op.f("fk_talent_keys_api_key_id_api_keys"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["talent_id"], ["talents.id"],
                                name=op.f("fk_talent_keys_talent_id_talents"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_talent_keys")),
    )
    op.create_index(op.f("ix_talent_keys_talent_id"), "talent_keys", ["talent_id"])
    op.create_table(
        "consent_grants",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("talent_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("twin_id", sa.String(length=40), nullable=True),
        sa.Column("obtained_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_key_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("scope_key_ids", sa.JSON(), nullable=False),
        sa.Column("scope_origins", sa.JSON(), nullable=False),
        sa.Column("pay_basis", sa.String(length=16), nullable=False),
        sa.Column("pay_currency", sa.String(length=3), nullable=False),
        sa.Column("pay_amount_minor", sa.BigInteger(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_blob", sa.String(length=64), nullable=False),
        sa.Column("document_name", sa.String(length=200), nullable=False),
        sa.Column("document_media_type", sa.String(length=100), nullable=False),
        sa.Column("scan_retention", sa.String(length=16), nullable=True),
        _when("created_at"),
        _when("revoked_at", nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        _when("closed_at", nullable=True),
        sa.CheckConstraint("kind IN ('creation', 'use')", name=op.f("ck_consent_grants_kind")),
        sa.CheckConstraint("pay_basis IN ('per-render', 'per-day', 'flat')",
                           name=op.f("ck_consent_grants_pay_basis")),
        sa.CheckConstraint("scan_retention IS NULL OR scan_retention IN ('encrypted', 'delete')",
                           name=op.f("ck_consent_grants_scan_retention")),
        sa.CheckConstraint("pay_amount_minor >= 0", name=op.f("ck_consent_grants_pay_amount")),
        sa.ForeignKeyConstraint(["recorded_by_key_id"], ["api_keys.id"],
                                name=op.f("fk_consent_grants_recorded_by_key_id_api_keys"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["talent_id"], ["talents.id"],
                                name=op.f("fk_consent_grants_talent_id_talents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_grants")),
    )
    op.create_index(op.f("ix_consent_grants_talent_id"), "consent_grants", ["talent_id"])
    op.create_table(
        "twins",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("talent_id", sa.String(length=40), nullable=False),
        sa.Column("creation_grant_id", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("skin_tone", sa.Integer(), nullable=False),
        sa.Column("shape", sa.JSON(), nullable=True),
        sa.Column("measurements", sa.JSON(), nullable=True),
        sa.Column("fit", sa.JSON(), nullable=True),
        sa.Column("scan_sha256", sa.String(length=64), nullable=False),
        sa.Column("scan_name", sa.String(length=200), nullable=False),
        sa.Column("scan_blob", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        _when("created_at"),
        _when("ready_at", nullable=True),
        _when("withdrawn_at", nullable=True),
        sa.CheckConstraint("status IN ('fitting', 'ready', 'rejected', 'withdrawn')",
                           name=op.f("ck_twins_status")),
        sa.ForeignKeyConstraint(["creation_grant_id"], ["consent_grants.id"],
                                name=op.f("fk_twins_creation_grant_id_consent_grants")),
        sa.ForeignKeyConstraint(["talent_id"], ["talents.id"], name=op.f("fk_twins_talent_id_talents")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_twins")),
    )
    op.create_index(op.f("ix_twins_talent_id"), "twins", ["talent_id"])
    op.create_table(
        "twin_outputs",
        sa.Column("cache_key", sa.String(length=128), nullable=False),
        sa.Column("twin_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["twin_id"], ["twins.id"], name=op.f("fk_twin_outputs_twin_id_twins"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("cache_key", name=op.f("pk_twin_outputs")),
    )
    op.create_index(op.f("ix_twin_outputs_twin_id"), "twin_outputs", ["twin_id"])
    op.create_index(op.f("ix_twin_outputs_digest"), "twin_outputs", ["digest"])
    op.create_table(
        "usage_ledger",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        _when("at"),
        sa.Column("twin_id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=300), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_usage_ledger")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_usage_ledger_entry_hash")),
    )
    op.create_index(op.f("ix_usage_ledger_grant_id_at"), "usage_ledger", ["grant_id", "at"])
    op.create_index(op.f("ix_usage_ledger_twin_id_at"), "usage_ledger", ["twin_id", "at"])
    head = op.create_table(
        "usage_ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_ledger_head")),
    )
    # the row every append locks and moves on: an empty ledger ends at the genesis hash
    op.bulk_insert(head, [{"id": 1, "seq": 0, "entry_hash": GENESIS_HASH}])
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


# The database refuses to change or delete ledger entries; the hash chain still
# shows it if someone with the rights to drop these does so (tryon.twins.ledger).
APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER usage_ledger_no_update BEFORE UPDATE ON usage_ledger "
        "BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END",
        "CREATE TRIGGER usage_ledger_no_delete BEFORE DELETE ON usage_ledger "
        "BEGIN SELECT RAISE(ABORT, 'the usage ledger is append-only'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION usage_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the usage ledger is append-only'; END $$",
        "CREATE TRIGGER usage_ledger_no_change BEFORE UPDATE OR DELETE ON usage_ledger "
        "FOR EACH ROW EXECUTE FUNCTION usage_ledger_append_only()",
        "CREATE TRIGGER usage_ledger_no_truncate BEFORE TRUNCATE ON usage_ledger "
        "FOR EACH STATEMENT EXECUTE FUNCTION usage_ledger_append_only()",
    ],
}


def downgrade() -> None:
    op.drop_table("usage_ledger_head")
    op.drop_table("usage_ledger")  # and its triggers
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION usage_ledger_append_only()")
    op.drop_table("twin_outputs")
    op.drop_table("twins")
    op.drop_table("consent_grants")
    op.drop_table("talent_keys")
    op.drop_table("talents")
