"""Soak: the service under a steady mix of traffic for minutes while its processes are killed.

8 clients (threads) mix cached and cold renders, fit reports, garment uploads
(valid and refused), renders of a digital twin under several use grants and,
a few times a run, revocations of those grants, for 10 minutes against
`tryon serve --workers 2`: once with the in-process job runner (SQLite,
local blobs), once with PostgreSQL + Redis + 2 Celery workers (`tryon
worker`, one job process each). Every minute one process is SIGKILLed: a
gunicorn worker; with Celery, in turn, also a Celery job process and a
whole Celery worker (restarted, as a supervisor would). Jobs lease for 15 s
(TRYON_JOB_LEASE_S), so a killed worker's jobs are retried within the run.

Reports requests by status and p50/p99 per route, how each operation that
may queue a job ended, what the logs say (worker boots, tracebacks), jobs
by status and the retried ones (attempts > 1); then checks, each PASS or
FAIL (exit 1 if any fails):
  1. no upload half-stored: every garment folder whole, every 201 on disk,
     nothing of a 422, the API lists what is on disk, every indexed output's
     blob holds the bytes its name is the hash of;
  2. the usage ledger verifies (`tryon ledger verify`), numbered without a gap,
     with an entry for every twin output served;
  3. no revoked twin served after its revocation (client records and ledger);
  4. every job ended (none queued or running 2 leases + 30 s after the clients stop).
Targets: every check passes; 5xx answers <= 1 % of requests (connections
cut by a kill are counted apart, as "error: ...").

Each mode gets a fresh data dir (a copy of the prepared body model, library
and sample garments; `make prepare` first), a fresh database (SQLite, or a new
PostgreSQL database `soak_<hex>` on 127.0.0.1:5432, user postgres, dropped
after) and, with Celery, Redis DBs 9 and 10 on 127.0.0.1:6379 (emptied).
Loopback only; every step bounded; every process stopped at the end; logs
kept under /tmp/tryon-soak-*/. Both modes take about 25 minutes on 2 cores.
Run: .venv/bin/python bench/soak.py [--mode inprocess|celery|both] [--minutes 10]
     [--clients 8] [--kill-every 60]
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))  # tryon's models, for the checks

import requests  # noqa: E402

from _soak_checks import (  # noqa: E402
    Database,
    check_ledger,
    check_revocations,
    check_uploads,
    drain_jobs,
    route_table,
)
from _soak_clients import Client, Recorder, Revocations, make_world  # noqa: E402
from _soak_stack import (  # noqa: E402
    LEASE_S,
    ROOT,
    Stack,
    base_env,
    fresh_data_dir,
    postgres_database,
    redis_databases,
)

JOIN_S = 200  # a client's last job is followed 30 s past the deadline; a request reads <= 130 s
SETUP_BUDGET_S = 1200  # per mode, beyond its minutes: start, twin fit, drain, checks
SCAN_CODE = """
import sys
from avatars.body_models.registry import get_body_model
from avatars.scans.synthetic import synthetic_scan
scan = synthetic_scan(get_body_model("female"), seed=11, sex="female", points=30_000)
open(sys.argv[1], "wb").write(scan.data)
"""
DESCRIPTION = {"inprocess": "in-process jobs, SQLite, local blobs",
               "celery": "PostgreSQL + Redis + 2 Celery workers (tryon worker --concurrency 1)"}


def synthetic_scan(env: dict, path: Path) -> bytes:
    """A seeded synthetic scan of a woman (30k points; the twin tests' scan), made once."""
    if not path.exists():
        subprocess.run([sys.executable, "-c", SCAN_CODE, str(path)], env=env, cwd=ROOT,
                       check=True, timeout=300, capture_output=True)
    return path.read_bytes()


def upload_obj(data: Path) -> bytes:
    """A valid skirt OBJ: the sample A-line skirt's size M as it was uploaded, without its MTL."""
    source = next(data.glob("garments/a-line-skirt-*/sizes/M/source.obj"))
    lines = source.read_bytes().splitlines(keepends=True)
    return b"".join(line for line in lines if not line.startswith((b"mtllib", b"usemtl")))


def list_garments(base: str, headers: dict) -> list[dict] | None:
    """What GET /v1/garments shows a merchant (drafts too); None without an answer."""
    try:
        response = requests.get(f"{base}/v1/garments", headers=headers, timeout=60)
    except requests.RequestException:
        return None
    return response.json()["garments"] if response.status_code == 200 else None


def soak(stack: Stack, world, args, recorder: Recorder, revocations: Revocations) -> None:
    """The clients for ``args.minutes``, and a SIGKILL every ``args.kill_every`` seconds."""
    start = time.time()
    deadline = start + args.minutes * 60
    clients = [Client(i, world, recorder, revocations, deadline) for i in range(args.clients)]
    threads = [threading.Thread(target=c.run, name=f"soak-client-{c.n}", daemon=True)
               for c in clients]
    for thread in threads:
        thread.start()
    number, next_kill = 0, start + args.kill_every
    while time.time() < deadline:
        time.sleep(max(0.0, min(next_kill, deadline) - time.time()))
        if time.time() >= next_kill and time.time() < deadline:
            elapsed = time.time() - start
            print(f"  {elapsed:5.0f} s  SIGKILL {stack.kill_one(number, elapsed)}", flush=True)
            number, next_kill = number + 1, next_kill + args.kill_every
    for thread in threads:  # each finishes its request and job (bounded) after the deadline
        thread.join(timeout=max(0.0, deadline + JOIN_S - time.time()))
    alive = [t.name for t in threads if t.is_alive()]
    if alive:
        print(f"  clients still busy after the deadline (left running): {alive}")


def run_mode(mode: str, args, root: Path, scan_path: Path) -> bool:
    print(f"\n== {mode}: tryon serve --workers 2, {DESCRIPTION[mode]}; {args.clients} clients, "
          f"{args.minutes:g} min, SIGKILL every {args.kill_every:g} s", flush=True)
    work = root / mode
    logs = work / "logs"
    logs.mkdir(parents=True)
    data = fresh_data_dir(work)
    env = base_env(data)
    revocable = max(2, round(args.minutes / 2))
    with ExitStack() as cleanup:
        if mode == "celery":
            database = cleanup.enter_context(postgres_database())
            broker, limits = cleanup.enter_context(redis_databases())
            env.update(TRYON_DATABASE_URL=database, TRYON_BROKER_URL=broker,
                       TRYON_RATELIMIT_STORAGE=limits)
        db = Database(env.get("TRYON_DATABASE_URL") or f"sqlite:///{data / 'tryon.sqlite3'}")
        cleanup.callback(db.close)
        scan = synthetic_scan(env, scan_path)  # before the servers: the cores are free
        stack = Stack(env, logs)
        cleanup.callback(stack.stop)
        print(f"  ready in {stack.wait_ready():.0f} s at {stack.base}; logs in {logs}", flush=True)
        t0 = time.monotonic()
        world = make_world(stack.base, env, revocable, scan, upload_obj(data))
        print(f"  twin {world.twin} fitted and {len(world.grants)} use grants made in "
              f"{time.monotonic() - t0:.0f} s", flush=True)
        recorder = Recorder()
        revocations = Revocations(revocable, time.time(), args.minutes * 60)
        soak(stack, world, args, recorder, revocations)
        results = {"(4) every job ended": drain_jobs(db, 2 * LEASE_S + 30)}
        listed = list_garments(stack.base, world.headers("merchant"))
        results["(1) no upload half-stored"] = check_uploads(
            data / "garments", data / "blobs", db, recorder.created, recorder.refused, listed)
        results["(2) ledger verifies, no gap"] = check_ledger(env, db, recorder.records)
        results["(3) no revoked twin served"] = check_revocations(
            db, world.grants, revocations.confirmed, recorder.records)
        masters = {p.name: p.popen.poll() is None for p in stack.procs}
        counts, exceptions = stack.log_counts(), stack.log_exceptions()
    report(recorder, stack, masters, counts, exceptions, results, args)
    if not args.keep:
        shutil.rmtree(data, ignore_errors=True)
    return all(ok for ok, _ in results.values())


def report(recorder: Recorder, stack: Stack, masters: dict, counts: dict, exceptions,
           results: dict, args) -> None:
    records = recorder.records
    answered = [r for r in records if not r.status.startswith("error")]
    five = sum(r.status.startswith("5") for r in answered)
    print(f"\n  kills: {len(stack.kills)}; processes alive at the end: {masters}")
    print("  logs: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"  requests: {len(records)} ({len(records) / (args.minutes * 60):.1f}/s), "
          f"no answer {len(records) - len(answered)}, 5xx {five} "
          f"({100 * five / max(1, len(records)):.2f} %, target <= 1 %"
          f"{'' if five <= 0.01 * len(records) else ': OVER'})")
    for line in route_table(records):
        print("  " + line)
    print("  operations (how each ended):")
    for (operation, how), n in sorted(recorder.outcomes.items()):
        print(f"    {operation:16} {how:40} {n:6}")
    print("  exceptions in the logs (the line ending each traceback):"
          + ("" if exceptions else " none"))
    for line, n in exceptions.most_common(12):
        print(f"    {n:5} x {line}")
    for name, (ok, lines) in results.items():
        print(f"  {'PASS' if ok else 'FAIL'} {name}")
        for line in lines:
            print(f"       {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["inprocess", "celery", "both"], default="both")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kill-every", type=float, default=60, help="seconds between SIGKILLs")
    parser.add_argument("--keep", action="store_true", help="keep each mode's data dir")
    args = parser.parse_args()
    modes = ["inprocess", "celery"] if args.mode == "both" else [args.mode]

    def stop(signum, _frame):  # a hard deadline, or SIGTERM: unwind, stopping every process
        raise SystemExit(f"stopped by signal {signum} (hard deadline or SIGTERM)")

    signal.signal(signal.SIGALRM, stop)
    signal.signal(signal.SIGTERM, stop)
    signal.alarm(int(len(modes) * (args.minutes * 60 + SETUP_BUDGET_S)))
    root = Path(tempfile.mkdtemp(prefix="tryon-soak-"))
    passed = {}
    for mode in modes:
        try:
            passed[mode] = run_mode(mode, args, root, root / "scan.ply")
        except Exception:  # this mode could not run: say why, go on with the next
            traceback.print_exc()
            passed[mode] = False
    signal.alarm(0)
    print("\n" + "  ".join(f"{m}: {'PASS' if ok else 'FAIL'}" for m, ok in passed.items())
          + f"   (logs under {root})")
    return 0 if all(passed.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
