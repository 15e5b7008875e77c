"""The usage ledger: every served image or GLB of a twin, hash-chained, for pay.

Each entry records the twin, the consent grant that allowed the use, the
API key and storefront origin, the channel, the kind of output
(``render``, ``glb``, ``catalog-render``, ``preview``), the time and the
sha256 of the bytes served. Entries are numbered 1, 2, 3... without gaps,
and each carries ``entry_hash = sha256(prev_hash + "\\n" + canonical JSON of
the entry)``, the first one chained to ``GENESIS_HASH``. A head row
(``UsageLedgerHead``) names the newest entry. ``verify`` recomputes the
chain: an edited field, a deleted, inserted or reordered entry, or
entries cut off the end all show.

Appends from any number of processes stay one line: each append locks the
head first (PostgreSQL: a transaction-level advisory lock, as
``tryon.jobs.queue`` does for dedupe keys, plus ``FOR UPDATE`` on the head row;
SQLite: the database's write lock, ``BEGIN IMMEDIATE``), reads it, writes
the entry and moves the head, in one transaction.

The database itself refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE) of
entries (triggers made by migration 0003); the chain catches whoever drops them.
A hash chain shows tampering by anyone who does not rewrite every later
entry and the head; to guard against that too, publish the head hash
(``tryon ledger verify`` prints it) somewhere the database's owner cannot edit.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tryon.storage.database import lock_for_write, session_scope
from tryon.storage.models import (
    CHANNELS,
    USAGE_KINDS,
    ConsentGrant,
    Twin,
    UsageEntry,
    UsageLedgerHead,
    utcnow,
)

GENESIS_HASH = "0" * 64
HEAD_ID = 1
_PG_LEDGER_LOCK = 0x7472796F6E6C  # "tryonl": an arbitrary advisory-lock key for appends


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def entry_fields(entry: UsageEntry) -> dict:
    """The hashed content of an entry (everything but its hashes), JSON-ready."""
    return {"seq": int(entry.seq), "at": _iso(entry.at), "twin": entry.twin_id,
            "grant": entry.grant_id, "key": entry.api_key_id, "origin": entry.origin,
            "channel": entry.channel, "kind": entry.kind, "content": entry.content_hash}


def chain_hash(prev_hash: str, fields: dict) -> str:
    """sha256 over the previous hash and the entry's canonical JSON (sorted keys, no spaces)."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical.encode()).hexdigest()


def _lock_head(session: Session) -> UsageLedgerHead:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LEDGER_LOCK})
    else:
        lock_for_write(session)
    head = session.scalars(select(UsageLedgerHead).where(UsageLedgerHead.id == HEAD_ID)
                           .with_for_update()).first()
    if head is None:  # the migration makes it; a database emptied by hand gets it back
        head = UsageLedgerHead(id=HEAD_ID, seq=0, entry_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


def append(*, twin_id: str, grant_id: str, channel: str, kind: str, api_key_id: int | None = None,
           origin: str | None = None, content_hash: str | None = None,
           at: datetime | None = None) -> UsageEntry:
    """Add one use to the ledger (its own transaction) and return the entry."""
    if channel not in CHANNELS + ("internal",):
        raise ValueError(f"channel is one of {', '.join(CHANNELS)} or internal, not {channel!r}")
    if kind not in USAGE_KINDS:
        raise ValueError(f"kind is one of {', '.join(USAGE_KINDS)}, not {kind!r}")
    with session_scope() as session:
        head = _lock_head(session)
        entry = UsageEntry(seq=head.seq + 1, at=at or utcnow(), twin_id=twin_id, grant_id=grant_id,
                           api_key_id=api_key_id, origin=origin, channel=channel, kind=kind,
                           content_hash=content_hash, prev_hash=head.entry_hash)
        entry.entry_hash = chain_hash(head.entry_hash, entry_fields(entry))
        session.add(entry)
        head.seq, head.entry_hash = entry.seq, entry.entry_hash
    return entry


@dataclass
class Verification:
    """What ``verify`` found: ok, how many entries, the head hash, and every problem."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, max_problems: int = 20) -> Verification:
    """Recompute the whole chain; report each entry that does not follow from the one before."""
    result = Verification()
    prev_hash, expected_seq = GENESIS_HASH, 1
    rows = session.scalars(select(UsageEntry).order_by(UsageEntry.seq).execution_options(yield_per=1000))
    for entry in rows:
        result.entries += 1
        if entry.seq != expected_seq:
            result.problems.append(f"entry {expected_seq} is missing (next is {entry.seq}): "
                                   "entries were deleted or renumbered")
        if entry.prev_hash != prev_hash:
            result.problems.append(f"entry {entry.seq} does not chain to the entry before it: "
                                   "an entry before it was edited, deleted or inserted")
        recomputed = chain_hash(entry.prev_hash, entry_fields(entry))
        if recomputed != entry.entry_hash:
            result.problems.append(f"entry {entry.seq} was edited: its content does not match "
                                   "its hash")
        prev_hash, expected_seq = recomputed, entry.seq + 1
        if len(result.problems) >= max_problems:
            break
    head = session.get(UsageLedgerHead, HEAD_ID)
    if head is not None:
        result.head_seq, result.head_hash = int(head.seq), head.entry_hash
    if len(result.problems) < max_problems:
        if head is None:
            result.problems.append("the ledger head is missing")
        elif head.seq != expected_seq - 1 or head.entry_hash != prev_hash:
            result.problems.append(f"the ledger ends at entry {expected_seq - 1} but its head "
                                   f"names entry {head.seq}: entries were cut off the end or "
                                   "the head was edited")
    return result


# --- reports ------------------------------------------------------------------------------

def parse_period(period: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` -> [first instant of the month, first instant of the next), UTC."""
    try:
        year, month = (int(p) for p in period.split("-"))
        start = datetime(year, month, 1, tzinfo=timezone.utc)
    except (ValueError, TypeError):
        raise ValueError(f"a period is YYYY-MM, like 2026-11, not {period!r}") from None
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def entries_between(session: Session, start: datetime | None, end: datetime | None,
                    twin_id: str | None = None, limit: int | None = None) -> list[UsageEntry]:
    """Entries with ``start <= at < end`` (either bound may be open), oldest first."""
    query = select(UsageEntry).order_by(UsageEntry.seq)
    if twin_id is not None:
        query = query.where(UsageEntry.twin_id == twin_id)
    if start is not None:
        query = query.where(UsageEntry.at >= start)
    if end is not None:
        query = query.where(UsageEntry.at < end)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def owed(grant: ConsentGrant, uses: int, days: int, start: datetime | None,
         end: datetime | None) -> int:
    """Minor units owed for a period at the grant's rate.

    per-render: each use; per-day: each UTC day with at least one use;
    flat: the whole amount, in the period in which the grant starts.
    """
    if grant.pay_basis == "per-render":
        return uses * grant.pay_amount_minor
    if grant.pay_basis == "per-day":
        return days * grant.pay_amount_minor
    starts_inside = ((start is None or grant.starts_at >= start)
                     and (end is None or grant.starts_at < end))
    return grant.pay_amount_minor if starts_inside else 0


def report(session: Session, start: datetime | None, end: datetime | None,
           twin_id: str | None = None, talent_id: str | None = None) -> list[dict]:
    """Uses and pay owed per grant for ``start <= at < end``.

    One row per grant with uses in the period, plus flat-rate grants that
    start in it (owed whether used or not); narrowed to one twin or talent
    when asked.
    """
    counts: dict[str, dict] = defaultdict(lambda: {"uses": 0, "days": set(), "twins": set(),
                                                   "by_kind": defaultdict(int),
                                                   "by_channel": defaultdict(int)})
    for entry in entries_between(session, start, end, twin_id):
        row = counts[entry.grant_id]
        row["uses"] += 1
        row["days"].add(entry.at.astimezone(timezone.utc).date())
        row["twins"].add(entry.twin_id)
        row["by_kind"][entry.kind] += 1
        row["by_channel"][entry.channel] += 1

    twin = session.get(Twin, twin_id) if twin_id is not None else None

    def flat_fee_applies(grant: ConsentGrant) -> bool:
        if talent_id is not None and grant.talent_id != talent_id:
            return False
        if twin_id is None:
            return True
        return twin is not None and (grant.id == twin.creation_grant_id or (
            grant.kind == "use" and grant.talent_id == twin.talent_id
            and grant.twin_id in (None, twin.id)))

    grants = session.scalars(select(ConsentGrant).where(
        ConsentGrant.id.in_(list(counts)) | (ConsentGrant.pay_basis == "flat")))
    rows = []
    for grant in sorted(grants, key=lambda g: (g.created_at, g.id)):
        c = counts.get(grant.id)
        if c is None and not flat_fee_applies(grant):
            continue
        if talent_id is not None and grant.talent_id != talent_id:
            continue
        uses, days = (c["uses"], len(c["days"])) if c else (0, 0)
        amount = owed(grant, uses, days, start, end)
        if c is None and amount == 0:
            continue
        rows.append({"grant": grant.id, "talent": grant.talent_id, "kind": grant.kind,
                     "twins": sorted(c["twins"]) if c else [], "uses": uses, "days_used": days,
                     "by_kind": dict(c["by_kind"]) if c else {},
                     "by_channel": dict(c["by_channel"]) if c else {},
                     "pay_basis": grant.pay_basis, "currency": grant.pay_currency,
                     "rate_minor": grant.pay_amount_minor, "owed_minor": amount})
    return rows


CSV_COLUMNS = ("grant", "talent", "kind", "twins", "uses", "days_used", "pay_basis", "currency",
               "rate_minor", "owed_minor")


def report_csv(rows: list[dict]) -> str:
    """The report as CSV (one line per grant; twins joined by spaces)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([" ".join(row[c]) if c == "twins" else row[c] for c in CSV_COLUMNS])
    return out.getvalue()
