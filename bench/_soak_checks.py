"""What the soak checks afterwards, and how it reports (bench/soak.py).

Each check returns (passed, lines of numbers). The database is read with
tryon's own models on an engine of our own (SQLite file or PostgreSQL).
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from _soak_stack import tryon
from tryon.storage.models import ConsentGrant, Job, RenderRecord, UsageEntry, UsageLedgerHead

TWIN_ROUTES = ("twin render", "twin blob")
IN_FLIGHT_S = 30.0  # a request authorized before a revocation may finish this much later


class Database:
    def __init__(self, url: str):
        self.engine = create_engine(url)

    def session(self) -> Session:
        return Session(self.engine)

    def jobs_by_status(self) -> Counter:
        with self.session() as s:
            rows = s.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        return Counter(dict(rows))

    def close(self) -> None:
        self.engine.dispose()


def drain_jobs(db: Database, seconds: float) -> tuple[bool, list[str]]:
    """(4) Every job ended: none queued or running within ``seconds`` after the clients stop."""
    start = time.monotonic()
    while True:
        counts = db.jobs_by_status()
        active = counts["queued"] + counts["running"]
        if not active or time.monotonic() - start > seconds:
            break
        time.sleep(2)
    waited = time.monotonic() - start
    with db.session() as s:
        retried = s.scalar(select(func.count()).select_from(Job).where(Job.attempts > 1))
        by_kind = s.execute(select(Job.kind, Job.status, func.count())
                            .group_by(Job.kind, Job.status)).all()
        errors = s.execute(select(Job.error_code, func.count()).where(Job.status == "failed")
                           .group_by(Job.error_code)).all()
        stuck = s.execute(select(Job.id, Job.kind, Job.status, Job.attempts, Job.lease_expires_at)
                          .where(Job.status.in_(("queued", "running"))).limit(5)).all()
    lines = [f"jobs by status: {dict(sorted(counts.items()))} (waited {waited:.0f} s)",
             "jobs by kind: " + ", ".join(f"{k}/{st} {n}" for k, st, n in sorted(by_kind)),
             f"jobs retried (attempts > 1): {retried}",
             "failed jobs by error_code: " + (", ".join(f"{c} {n}" for c, n in errors) or "none")]
    lines += [f"still active: {row}" for row in stuck]
    return not active, lines


def check_uploads(garments_dir: Path, blobs_dir: Path, db: Database, created: set[str],
                  refused: list[str], listed: list[dict] | None) -> tuple[bool, list[str]]:
    """(1) No upload half-stored: every garment folder is whole (garment.json; per size the
    mesh, a readable npz, the upload record and the source file it names), every 201 is on
    disk, no 422 left anything, the API lists exactly what is on disk; and every indexed
    output's blob exists and holds the bytes its name is the hash of."""
    problems, on_disk = [], {}
    for folder in sorted(p for p in garments_dir.iterdir() if not p.name.startswith(".")):
        meta = folder / "garment.json"
        if not meta.is_file():
            problems.append(f"{folder.name}: a garment folder without garment.json")
            continue
        garment = json.loads(meta.read_text())
        on_disk[garment["id"]] = garment
        for size in garment["sizes"]:
            problems += [f"{folder.name}/{size}: {p}"
                         for p in _size_problems(folder / "sizes" / size)]
    problems += [f"{g}: answered 201 but not on disk" for g in sorted(created - on_disk.keys())]
    names = {g["name"] for g in on_disk.values()}
    problems += [f"refused upload {n!r} was stored" for n in refused if n in names]
    if listed is None:
        problems.append("GET /v1/garments (merchant) did not answer")
    elif {g["id"] for g in listed} != set(on_disk):
        problems.append(f"GET /v1/garments lists {len(listed)}, disk holds {len(on_disk)}: "
                        f"{sorted({g['id'] for g in listed} ^ set(on_disk))[:5]}")
    incoming = garments_dir / ".incoming"
    leftovers = [p.name for p in incoming.iterdir()] if incoming.is_dir() else []
    with db.session() as s:
        digests = set(s.scalars(select(RenderRecord.digest)))
    bad_blobs = [d for d in digests if not _blob_whole(blobs_dir / d[:2] / d)]
    problems += [f"indexed output {d[:16]}... missing or not its hash" for d in bad_blobs[:5]]
    temp = [p.name for p in blobs_dir.rglob(".tmp-*")] if blobs_dir.is_dir() else []
    lines = [f"garments on disk {len(on_disk)} (201s {len(created)}, 422s {len(refused)}), "
             f"indexed outputs {len(digests)}, broken {len(bad_blobs)}",
             f"left in garments/.incoming (swept by `tryon serve` after 1 h): {len(leftovers)}; "
             f"blob temp files: {len(temp)}"]
    return not problems, lines + problems[:10]


def _size_problems(folder: Path) -> list[str]:
    found = []
    try:
        with zipfile.ZipFile(folder / "mesh.npz") as mesh:
            if mesh.testzip() is not None:
                found.append("mesh.npz is corrupt")
        upload = json.loads((folder / "upload.json").read_text())
        for name in [upload["stored"], *(c["stored"] for c in upload["companions"])]:
            if not (folder / name).is_file():
                found.append(f"{name} named by upload.json is missing")
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as e:
        found.append(f"{type(e).__name__}: {e}")
    return found


def _blob_whole(path: Path) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == path.name
    except OSError:
        return False


def check_ledger(env: dict, db: Database, records: list) -> tuple[bool, list[str]]:
    """(2) `tryon ledger verify` exits 0; entries numbered 1..N without a gap up to the
    head; at least one entry per twin render or blob the clients were served (200)."""
    out = tryon(env, "ledger", "verify", timeout=300)
    with db.session() as s:
        count, first, last = s.execute(select(func.count(), func.min(UsageEntry.seq),
                                              func.max(UsageEntry.seq))).one()
        head = s.scalar(select(UsageLedgerHead.seq))
        paid = s.scalar(select(func.count()).select_from(UsageEntry)
                        .where(UsageEntry.kind.in_(("render", "glb"))))
    served = sum(r.route in TWIN_ROUTES and r.status == "200" for r in records)
    gapless = count == 0 or (first == 1 and last == count == head)
    ok = out.returncode == 0 and gapless and paid >= served
    lines = [f"tryon ledger verify: exit {out.returncode}: {out.stdout.strip().splitlines()[-1:]}",
             f"entries {count}, seq {first}..{last}, head {head}; render/glb entries {paid} "
             f">= twin outputs served {served}: {paid >= served}"]
    return ok, lines + ([out.stderr.strip()[-500:]] if out.returncode else [])


def check_revocations(db: Database, grants: list[str], confirmed: dict[int, float],
                      records: list) -> tuple[bool, list[str]]:
    """(3) No revoked twin served after its revocation: no 200 to a revoked key for a
    request sent after the revocation was confirmed (or, unconfirmed, 2 s after the
    database's revoked_at), and no ledger entry under a revoked grant well after it."""
    with db.session() as s:
        revoked_at = dict(s.execute(select(ConsentGrant.id, ConsentGrant.revoked_at)
                                    .where(ConsentGrant.id.in_(grants))).all())
        uses = s.execute(select(UsageEntry.grant_id, UsageEntry.at)
                         .where(UsageEntry.grant_id.in_(grants[1:]))).all()
    problems, lines = [], []
    for k, grant in enumerate(grants[1:], start=1):
        when = confirmed.get(k)
        if when is None and revoked_at.get(grant) is not None:
            when = revoked_at[grant].timestamp() + 2.0
        if when is None:
            problems.append(f"grant {k} ({grant}) was never revoked")
            continue
        after = [r for r in records if r.key == k and r.route in TWIN_ROUTES and r.start > when]
        statuses = Counter(r.status for r in after)
        served = statuses["200"] + statuses["304"]
        lines.append(f"key {k}: {len(after)} twin requests after its revocation: {dict(statuses)}")
        if served:
            problems.append(f"key {k}: {served} served (200/304) after its revocation")
    # a request authorized just before the revocation may be ledgered just after it
    late = Counter(g for g, at in uses if revoked_at.get(g) and at > revoked_at[g])
    later = Counter(g for g, at in uses if revoked_at.get(g)
                    and (at - revoked_at[g]).total_seconds() > IN_FLIGHT_S)
    lines.append(f"ledger uses after revoked_at: {sum(late.values())} (in flight then), "
                 f"{sum(later.values())} more than {IN_FLIGHT_S:.0f} s after")
    problems += [f"ledger: {n} uses under revoked grant {g} > {IN_FLIGHT_S:.0f} s after its "
                 "revocation" for g, n in later.items()]
    return not problems, lines + problems


def route_table(records: list) -> list[str]:
    """Requests by status, and p50/p99 latency, per route."""
    by_route = defaultdict(list)
    for r in records:
        by_route[r.route].append(r)
    lines = [f"{'route':18} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8}  by status"]
    for route, rows in sorted(by_route.items()):
        ms = sorted(r.ms for r in rows)
        p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
        statuses = Counter(r.status for r in rows)
        text = ", ".join(f"{s} {n}" for s, n in sorted(statuses.items()))
        lines.append(f"{route:18} {len(rows):8} {statistics.median(ms):8.0f} {p99:8.0f}  {text}")
    return lines
