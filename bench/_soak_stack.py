"""The soak's processes (bench/soak.py): a fresh data dir, database and broker per mode,
`tryon serve` and `tryon worker` processes, and SIGKILLing one of them on a schedule.

Everything listens on or talks to 127.0.0.1 only. Each process runs in a
session (process group) of its own, so stopping it stops its children too.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PREPARED = Path(os.environ.get("TRYON_DATA_DIR") or ROOT / ".tryon").resolve()
POSTGRES_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5"
REDIS = "redis://127.0.0.1:6379"
BROKER_DB, LIMITS_DB = 9, 10  # the tests use 14 and 15
LEASE_S = 15  # TRYON_JOB_LEASE_S: a killed worker's job is taken back within the run
START_TIMEOUT_S = 300  # two workers warming up on 2 busy cores
WARMED = re.compile(rb"tryon process (\d+) warmed up in")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_data_dir(root: Path) -> Path:
    """A copy of the prepared data dir (body model, library, mannequins, sample garments,
    kernel caches: about 60 MB) without its database, blobs, keys, drapes or rate counters,
    so each mode starts from nothing while skipping the minutes of `tryon prepare`."""
    if not (PREPARED / "models").is_dir() or not (PREPARED / "garments").is_dir():
        raise SystemExit(f"no prepared data in {PREPARED}: run `make prepare` "
                         "(or set TRYON_DATA_DIR)")
    data = root / "data"
    shutil.copytree(PREPARED, data, ignore=shutil.ignore_patterns(
        "blobs", "*.sqlite3*", "keys", "drapes", "demo-publishable-key.json", "deleted-*"))
    return data


def base_env(data: Path) -> dict[str, str]:
    """The environment of every tryon process of one mode: no TRYON_* of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYON_")}
    env.update(TRYON_DATA_DIR=str(data), TRYON_JOB_LEASE_S=str(LEASE_S), PYTHONPATH=str(ROOT),
               # the soak measures the server, not the limiter
               TRYON_RATELIMIT_PER_IP="1000000/minute", TRYON_RATELIMIT_PER_KEY="1000000/minute")
    return env


@contextmanager
def postgres_database():
    """A new, empty PostgreSQL database (SQLAlchemy URL), dropped afterwards."""
    import psycopg

    name = f"soak_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextmanager
def redis_databases():
    """(broker URL, rate-limit storage URL) on two Redis DB numbers, emptied before and after."""
    import redis

    urls = [f"{REDIS}/{BROKER_DB}", f"{REDIS}/{LIMITS_DB}"]
    clients = [redis.Redis.from_url(url, socket_connect_timeout=3) for url in urls]
    for client in clients:
        client.flushdb()
    try:
        yield urls[0], urls[1]
    finally:
        for client in clients:
            client.flushdb()
            client.close()


def tryon(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the `tryon` command line under ``env``; its completed process."""
    return subprocess.run([str(BIN / "tryon"), *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def make_key(env: dict, role: str, origin: str | None = None) -> tuple[str, str]:
    """(prefix, plaintext) of a new key, made by `tryon keys create`."""
    out = tryon(env, "keys", "create", "--role", role, "--label", "soak",
                *(["--origin", origin] if origin else []))
    if out.returncode:
        raise RuntimeError(f"tryon keys create failed: {out.stderr}")
    lines = out.stdout.strip().splitlines()
    return re.search(r" key (\w+)", lines[0]).group(1), lines[-1].strip()


def children(pid: int) -> list[int]:
    """Ids of the live child processes of ``pid`` (read from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "(comm)": state, ppid, ...
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return sorted(found)


class Proc:
    """One tryon process (and its children) in a session of its own, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, logs: Path):
        self.name, self.argv, self.env = name, argv, env
        self.log_path = logs / f"{name}.log"
        self.popen: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> bytes:
        return self.log_path.read_bytes()

    def children(self) -> list[int]:
        return children(self.popen.pid) if self.popen.poll() is None else []

    def kill_group(self) -> None:
        """SIGKILL the process and its children at once (a crashed machine or container)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM the group, SIGKILL it if it is not gone within 30 s."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill_group()
        except ProcessLookupError:
            pass
        try:  # children that outlived their parent (a killed Celery master's pool)
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Stack:
    """`tryon serve --workers 2`, plus two `tryon worker` processes (prefork, one job
    process each) when ``env`` names a broker."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.port = env, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.kills: list[tuple[float, str]] = []  # (seconds into the soak, what was killed)
        self.procs: list[Proc] = []
        tryon_bin = str(BIN / "tryon")
        self.server = self._add(Proc("serve", [tryon_bin, "serve", "--port", str(self.port),
                                               "--workers", "2"], env, logs))
        self.workers = [self._add(Proc(f"worker{i}", [tryon_bin, "worker", "--concurrency", "1",
                                                      "--loglevel", "info"], env, logs))
                        for i in range(2 if env.get("TRYON_BROKER_URL") else 0)]
        self._rng = random.Random(7)

    def _add(self, proc: Proc) -> Proc:
        self.procs.append(proc)
        return proc

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> float:
        """Seconds until both server workers and every Celery job process warmed up."""
        import requests

        start = time.monotonic()
        while True:
            warmed = len(set(WARMED.findall(self.server.log()))) >= 2 and all(
                WARMED.search(w.log()) and b" ready." in w.log() for w in self.workers)
            if warmed:
                try:
                    if requests.get(f"{self.base}/readyz", timeout=10).status_code == 200:
                        return time.monotonic() - start
                except requests.RequestException:
                    pass
            for proc in self.procs:
                if proc.popen.poll() is not None:
                    tail = proc.log()[-3000:].decode(errors="replace")
                    raise RuntimeError(f"{proc.name} exited:\n{tail}")
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"not ready within {timeout:.0f} s; "
                                   f"logs in {self.server.log_path.parent}")
            time.sleep(1)

    def kill_one(self, number: int, elapsed: float) -> str:
        """SIGKILL one process. In-process mode: a gunicorn worker (gunicorn starts
        another). With Celery, in turn: a gunicorn worker, a Celery job process (its
        master starts another), a gunicorn worker, a whole Celery worker (master and
        job process; restarted here, as a supervisor would)."""
        if not self.workers or number % 2 == 0:
            what, pids = "gunicorn worker", self.server.children()
        else:
            worker = self.workers[(number // 4) % len(self.workers)]
            if number % 4 == 1:
                what, pids = f"celery job process of {worker.name}", worker.children()
            else:
                what = f"celery {worker.name} (master + job process), restarted"
                pid = worker.popen.pid
                worker.kill_group()
                worker.start()
                self.kills.append((elapsed, f"{what}: pid {pid}"))
                return self.kills[-1][1]
        if not pids:
            self.kills.append((elapsed, f"{what}: none running, nothing killed"))
            return self.kills[-1][1]
        pid = self._rng.choice(pids)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.kills.append((elapsed, f"{what}: pid {pid}"))
        return self.kills[-1][1]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def log_counts(self) -> dict[str, int]:
        """What the logs say happened: worker boots, recovered jobs, timeouts."""
        text = b"".join(p.log() for p in self.procs)
        return {"gunicorn workers booted": text.count(b"Booting worker with pid"),
                "'recovered N stale jobs' lines": text.count(b"stale jobs: "),
                "gunicorn worker timeouts": text.count(b"WORKER TIMEOUT"),
                "celery job processes lost": text.count(b"raised error: WorkerLostError")}

    def log_exceptions(self) -> Counter:
        """The exception line that ends each traceback in the logs, counted per process log."""
        found = Counter()
        for proc in self.procs:
            for block in proc.log().split(b"Traceback (most recent call last):\n")[1:]:
                # frames are indented; the exception is the first line that is not
                line = next((ln for ln in block.decode(errors="replace").splitlines()
                             if ln.strip() and not ln.startswith((" ", "\t"))), "?")
                found[f"{proc.name}: {line[:150]}"] += 1
        return found
