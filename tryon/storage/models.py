"""Tables of the serving layer: API keys, jobs, and the render cache index.

Types are portable between SQLite and PostgreSQL: strings with CHECK
constraints rather than native enums, ``JSON`` for structured fields, and
timestamps stored as UTC and always read back timezone-aware (``UtcDateTime``).
The schema itself is created by the Alembic migrations in
``tryon/storage/migrations``; a change here needs a new migration there
(``tests/storage`` checks that the two agree).

JSON columns do not notice in-place changes: assign a new list or dict
(``key.origins = [*key.origins, origin]``), never ``.append``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tryon.core.settings import DEFAULT_TENANT

ROLES = ("publishable", "merchant", "admin", "studio", "talent")
JOB_STATUSES = ("queued", "running", "done", "failed")

DIGEST_LENGTH = 64  # sha256, hex


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """A timestamp stored in UTC and read back timezone-aware on every backend.

    SQLite has no time zones and would hand back naive datetimes, which
    cannot be compared with aware ones; naive values are refused on write.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    # Named constraints, so that later migrations can alter them by name
    # (SQLite's batch mode rebuilds tables and needs the names).
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Tenant(Base):
    """A merchant account: one brand or store of an operator's. Keys belong to one;
    so do garments, catalog jobs, import reports and drafts' renders, which other
    tenants' keys do not see (admin keys see all). A single store uses the one
    tenant every database starts with, ``DEFAULT_TENANT``."""

    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # a slug: shop-a
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"Tenant(id={self.id!r})"


class ApiKey(Base):
    """An API key: its public lookup prefix and the argon2 hash of the whole key.

    The plaintext key is never stored (``tryon.storage.api_keys`` makes and checks
    keys). ``origins`` lists ``scheme://host[:port]`` strings; a
    publishable key is accepted only from those origins.
    """

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_one_of("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    tenant_id: Mapped[str] = mapped_column(String(40), ForeignKey("tenants.id"),
                                           default=DEFAULT_TENANT)

    def __repr__(self) -> str:
        return f"ApiKey(prefix={self.prefix!r}, role={self.role!r}, revoked={self.revoked_at is not None})"


class Job(Base):
    """One unit of background work (a render, a drape) or a batch of them.

    ``params`` is the job's input as JSON; ``result`` a blob digest or URL;
    a failed job's ``error`` says why to a person, ``error_code`` to a program.
    Progress is ``progress_done`` of ``progress_total`` items (a batch
    counts its children). A running job holds a lease until
    ``lease_expires_at``, extended by its worker's heartbeats; a running job
    whose lease has passed belongs to a worker that died, and is retried or
    failed. Children of a batch point to it with ``batch_id``.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_one_of("status", JOB_STATUSES), name="status"),
        Index(None, "status", "created_at"),  # workers take the oldest queued job
        Index(None, "batch_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(String(2048))
    error: Mapped[str | None] = mapped_column(Text)
    # why it failed, for machines: a code of tryon.core.errors.CODES
    error_code: Mapped[str | None] = mapped_column(String(32))
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=1)
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, kind={self.kind!r}, status={self.status!r})"


class RenderRecord(Base):
    """The render cache index: a cache key -> the blob that holds the rendered bytes.

    The cache key is a hex hash of every input of the render (up to 128
    characters); ``digest`` is the blob's sha256, ``size_bytes`` its length.
    ``garment_id``: the garment the output shows, if any; ``private``: for
    the merchant keys of ``tenant_id`` (an import's report) and admins only.
    ``GET /v1/blobs`` serves a digest to a publishable key only if one of its
    records is of no garment or of a published one, and not private.
    """

    __tablename__ = "render_records"
    __table_args__ = (Index(None, "digest"),)  # which cache entries share a blob

    cache_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    digest: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    garment_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    tenant_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # a private one's

    def __repr__(self) -> str:
        return f"RenderRecord(cache_key={self.cache_key!r}, digest={self.digest!r})"


class MeasuredAvatar(Base):
    """A body made from a shopper's measurements (``POST /v1/avatars``).

    ``id`` is ``m-<hash>`` of the measurements and the body model, so the
    same measurements name the same row; ``data`` holds every ``Avatar``
    field (shape and measurements included) as JSON. A shopper's body is
    seen only from where it was made: ``origins`` (the sites whose
    publishable keys made it) and ``tenants`` (whose keys made it).
    """

    __tablename__ = "measured_avatars"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    tenants: Mapped[list[str]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"MeasuredAvatar(id={self.id!r})"


# --- Digital twins of consenting models (issue 5): consent, twins, usage ledger ---

CONSENT_KINDS = ("creation", "use")
CHANNELS = ("e-commerce", "ads", "social")
PAY_BASES = ("per-render", "per-day", "flat")
SCAN_RETENTIONS = ("encrypted", "delete")
TWIN_STATUSES = ("fitting", "ready", "rejected", "withdrawn")
USAGE_KINDS = ("render", "glb", "usdz", "catalog-render", "preview", "video")


class Talent(Base):
    """A model (a person) whose likeness may become a digital twin."""

    __tablename__ = "talents"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"Talent(id={self.id!r})"


class TalentKey(Base):
    """Binds a talent-role API key to the one talent it speaks for."""

    __tablename__ = "talent_keys"
    __table_args__ = (Index(None, "talent_id"),)

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"),
                                            primary_key=True)
    talent_id: Mapped[str] = mapped_column(ForeignKey("talents.id", ondelete="CASCADE"))


class ConsentGrant(Base):
    """One consent a talent gave: to create a twin, or to use their twins.

    The fields New York's Fashion Workers Act asks of a digital-replica
    consent: who (``talent_id``, ``obtained_by``), scope (API key ids and
    storefront origins, channels), purpose, rate of pay, start and end,
    and the signed document (its sha256; the bytes sealed in the blob
    store, never served publicly). Status is computed (``tryon.twins.consent``).
    """

    __tablename__ = "consent_grants"
    __table_args__ = (
        CheckConstraint(_one_of("kind", CONSENT_KINDS), name="kind"),
        CheckConstraint(_one_of("pay_basis", PAY_BASES), name="pay_basis"),
        CheckConstraint("scan_retention IS NULL OR " + _one_of("scan_retention", SCAN_RETENTIONS),
                        name="scan_retention"),
        CheckConstraint("pay_amount_minor >= 0", name="pay_amount"),
        Index(None, "talent_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    talent_id: Mapped[str] = mapped_column(ForeignKey("talents.id"))
    kind: Mapped[str] = mapped_column(String(16))
    twin_id: Mapped[str | None] = mapped_column(String(40))  # a use grant for one twin only
    obtained_by: Mapped[str] = mapped_column(String(200))
    recorded_by_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"))
    purpose: Mapped[str] = mapped_column(Text)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    scope_key_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    scope_origins: Mapped[list[str]] = mapped_column(JSON, default=list)
    pay_basis: Mapped[str] = mapped_column(String(16))
    pay_currency: Mapped[str] = mapped_column(String(3))
    pay_amount_minor: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    document_sha256: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    document_blob: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    document_name: Mapped[str] = mapped_column(String(200))
    document_media_type: Mapped[str] = mapped_column(String(100))
    scan_retention: Mapped[str | None] = mapped_column(String(16))
    # a creation grant that lets the twin carry the model's appearance (skin
    # colours, surface detail) as well as her shape: biometric data, sealed
    captures_appearance: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by: Mapped[str | None] = mapped_column(String(100))
    # when the end (revocation or expiry) was carried out: outputs purged
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        return f"ConsentGrant(id={self.id!r}, kind={self.kind!r})"


class Twin(Base):
    """A digital twin: a body fitted to a consenting model's scan.

    ``shape``/``measurements`` are those of ``avatars.avatar.Avatar``;
    ``fit`` holds the fit's percentiles (mm), time and point count. The raw
    scan is sealed in the blob store (``scan_blob``) or gone, as the
    creation grant says; her appearance (``appearance_blob``) is sealed
    where the grant captures it. A withdrawn twin keeps its row (the ledger names
    it) but not its body.
    """

    __tablename__ = "twins"
    __table_args__ = (CheckConstraint(_one_of("status", TWIN_STATUSES), name="status"),
                      Index(None, "talent_id"))

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    talent_id: Mapped[str] = mapped_column(ForeignKey("talents.id"))
    creation_grant_id: Mapped[str] = mapped_column(ForeignKey("consent_grants.id"))
    label: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="fitting")
    sex: Mapped[str | None] = mapped_column(String(16))
    skin_tone: Mapped[int] = mapped_column(Integer)
    shape: Mapped[list[float] | None] = mapped_column(JSON)
    measurements: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fit: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    scan_sha256: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    scan_name: Mapped[str] = mapped_column(String(200))
    scan_blob: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    # her captured appearance (``avatars.appearance.captured``), sealed; None
    # when the creation grant did not capture it, or once the twin is withdrawn
    appearance_blob: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def __repr__(self) -> str:
        return f"Twin(id={self.id!r}, status={self.status!r})"


class TwinOutput(Base):
    """A render-cache key whose output shows a twin, so revocation can find and delete it.

    Written before the output is stored (``tryon.twins.lifecycle``), so an output is
    never cached without its owner being known.
    """

    __tablename__ = "twin_outputs"
    __table_args__ = (Index(None, "twin_id"), Index(None, "digest"))

    cache_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    twin_id: Mapped[str] = mapped_column(ForeignKey("twins.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    digest: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))  # once stored
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class UsageEntry(Base):
    """One use of a twin, hash-chained to the one before (``tryon.twins.ledger``).

    ``seq`` runs 1, 2, 3... without gaps; ``entry_hash`` is sha256 over
    ``prev_hash`` and the entry's canonical JSON. Rows are only ever added.
    """

    __tablename__ = "usage_ledger"
    __table_args__ = (Index(None, "twin_id", "at"), Index(None, "grant_id", "at"))

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    twin_id: Mapped[str] = mapped_column(String(40))
    grant_id: Mapped[str] = mapped_column(String(40))
    api_key_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the ledger outlives keys
    origin: Mapped[str | None] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str | None] = mapped_column(String(DIGEST_LENGTH))
    prev_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
    entry_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH), unique=True)


class UsageLedgerHead(Base):
    """The ledger's newest entry (one row, id 1): appends lock it, and ``verify``
    checks the chain ends there, so deleting the last entries shows too."""

    __tablename__ = "usage_ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    entry_hash: Mapped[str] = mapped_column(String(DIGEST_LENGTH))
