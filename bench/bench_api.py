"""The HTTP API under load, against a real `tryon serve` on loopback.

1. cached render hits/s vs the same bytes from ``GET /v1/blobs/{digest}``
   (target >= 0.5x); 2. p50/p99 of a cache hit from one client (target p99
   <= 20 ms; also under 8 saturating clients, where queueing for the 2
   shared cores dominates) and of a cold 512x768 render after the server
   is ready (target <= 2 s); 3. catalog prerender throughput,
   renders/min, with 1 and 2 processes.

Each server gets a fresh temp database and blob dir (TRYON_DATA_DIR stays
the prepared one: body model, garments, drape cache). All traffic goes to
127.0.0.1..127.0.x.x, bounded in count and time. The rate limits (300/min
per IP, 600/min per key) are respected, not disabled: each client thread
has its own key and its own loopback source address.
Run: .venv/bin/python bench/bench_api.py
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TRYON_DATA_DIR", str(ROOT / ".tryon"))
TRYON = [sys.executable, "-m", "tryon.cli"]
SHOP = "https://shop.example.com"
BROKER = "redis://127.0.0.1:6379/14"
THREADS, PER_THREAD, WARMUP = 8, 125, 10  # 1000 timed requests a run, <= 135 per key and IP
QUIET_REQUESTS = 250  # sequential hits from one client, under the 300/min per-IP limit
AVATARS = ["f152-eu34", "f155-eu44", "f157-eu40", "f158-eu38", "f160-eu50", "f162-eu48",
           "f163-eu36", "f165-eu40", "f166-eu32", "f168-eu42", "f170-eu46", "f172-eu38"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_env(tmp: Path, broker: str | None = None) -> dict:
    env = {**os.environ, "TRYON_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
           "TRYON_BLOB_URL": f"file://{tmp / 'blobs'}", "TRYON_RENDER_BUDGET_S": "30",
           "TRYON_JOB_THREADS": "1",
           "TRYON_RATELIMIT_STORAGE": f"tryon-sqlite://{tmp / 'ratelimits.sqlite3'}"}
    env.pop("TRYON_BROKER_URL", None)
    if broker:
        env["TRYON_BROKER_URL"] = broker
    return env


def make_keys(env: dict, role: str, n: int) -> list[str]:
    """n keys in the temp database, made by one subprocess (argon2 hashing included)."""
    origins = repr([SHOP] if role == "publishable" else [])
    code = ("from tryon.storage.api_keys import create_key\n"
            "from tryon.storage.database import session_scope, upgrade_database\n"
            "upgrade_database()\n"
            f"for _ in range({n}):\n"
            "    with session_scope() as s:\n"
            f"        print(create_key(s, {role!r}, {origins}, 'bench')[1])\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=120, cwd=ROOT)
    return out.stdout.split()[-n:]


class Server:
    def __init__(self, env: dict, workers: int):
        self.env, self.port = env, free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([*TRYON, "serve", "--port", str(self.port), "--workers",
                                      str(workers)], env=env, cwd=ROOT, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while True:
            try:
                if request(self.conn(), "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("tryon serve did not start")
            time.sleep(0.3)
        while request(self.conn(), "GET", "/readyz")[0] != 200:  # database and body model
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("tryon serve did not get ready")
            time.sleep(0.3)

    def conn(self, source: str = "127.0.0.1") -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60,
                                          source_address=(source, 0))

    def stop(self) -> None:
        stop_group(self.proc)


def stop_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def request(conn, method, path, headers=None, body=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.headers, response.read()


def auth(key: str, origin: bool = True) -> dict:
    return {"Authorization": f"Bearer {key}", **({"Origin": SHOP} if origin else {})}


def load(server: Server, path: str, keys: list[str], subnet: int) -> tuple[float, list[float]]:
    """THREADS keep-alive clients, each its own key and source address; (requests/s, latencies)."""
    latencies: list[float] = []
    barrier = threading.Barrier(THREADS + 1)
    errors: list[str] = []

    def client(i: int) -> None:
        conn, headers, mine = server.conn(f"127.0.{subnet}.{i + 1}"), auth(keys[i]), []
        try:
            for _ in range(WARMUP):  # first use of a key on a worker pays one argon2 check
                request(conn, "GET", path, headers)
            barrier.wait(timeout=120)
            for _ in range(PER_THREAD):
                start = time.perf_counter()
                status, _, body = request(conn, "GET", path, headers)
                mine.append(time.perf_counter() - start)
                if status != 200:
                    errors.append(f"{status} {body[:120]!r}")
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
            barrier.abort()
        finally:
            conn.close()
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    start = time.perf_counter()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    return len(latencies) / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if q < 100 else max(values)


def forget_drapes(avatars: list[str]) -> None:
    """Remove the avatars' cached drapes: their next renders drape too."""
    import shutil

    from tryon.drape.cache import drape_cache_dir

    for avatar in avatars:
        shutil.rmtree(drape_cache_dir(avatar), ignore_errors=True)


def drape_files() -> int:
    from tryon.core.settings import cache_dir

    return sum(1 for p in cache_dir("drapes").rglob("*")
               if p.is_file())


def bench_hits(skirt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = fresh_env(Path(tmp))
        keys = make_keys(env, "publishable", 2 * THREADS + 1)
        server = Server(env, workers=2)
        try:
            conn = server.conn("127.0.3.1")
            # cold renders: 512x768, library avatars in the A-line skirt, each new to this
            # server, their drapes too
            forget_drapes(AVATARS[:5])
            cold, drapes_before = [], drape_files()
            for avatar in AVATARS[:5]:
                path = f"/v1/render?avatar={avatar}&garment={skirt}&size=M&width=512&height=768"
                start = time.perf_counter()
                status, headers, body = request(conn, "GET", path, auth(keys[-1]))
                cold.append(time.perf_counter() - start)
                assert status == 200, (status, body[:200])
            new_drapes = drape_files() - drapes_before
            etag = headers["ETag"]
            digest = hashlib.sha256(body).hexdigest()
            status, _, blob = request(conn, "GET", f"/v1/blobs/{digest}", auth(keys[-1]))
            assert status == 200 and blob == body, "the blob is not the render's bytes"
            quiet_lat = []  # one client, one request at a time: latency without queueing
            for _ in range(QUIET_REQUESTS):
                start = time.perf_counter()
                status, _, _ = request(conn, "GET", path, auth(keys[-1]))
                quiet_lat.append(time.perf_counter() - start)
                assert status == 200, status
            conn.close()
            hits, hit_lat = load(server, path, keys[:THREADS], subnet=1)
            static, static_lat = load(server, f"/v1/blobs/{digest}", keys[THREADS:2 * THREADS],
                                      subnet=2)
        finally:
            server.stop()
    print(f"render: {len(body)} bytes PNG 512x768, ETag {etag[:14]}...; "
          f"{THREADS} keep-alive clients x {PER_THREAD} requests, server 2 workers x 4 threads")
    print(f"{'cached render hits/s':40} {hits:9.0f}")
    print(f"{'same bytes via /v1/blobs/{digest} /s':40} {static:9.0f}")
    print(f"{'ratio hits / static':40} {hits / static:9.2f}  (target >= 0.5)")
    print(f"{'cache hit p50 / p99 (one client)':40} {pct(quiet_lat, 50) * 1e3:6.1f} / "
          f"{pct(quiet_lat, 99) * 1e3:.1f} ms  (target p99 <= 20 ms)")
    print(f"{'cache hit p50 / p99 (8 clients, saturated)':40} {pct(hit_lat, 50) * 1e3:6.1f} / "
          f"{pct(hit_lat, 99) * 1e3:.1f} ms")
    print(f"{'blob p50 / p99 (under load)':40} {pct(static_lat, 50) * 1e3:6.1f} / "
          f"{pct(static_lat, 99) * 1e3:.1f} ms")
    print(f"{'cold render 512x768, 5 avatars p50 / max':40} {statistics.median(cold):6.2f} / "
          f"{max(cold):.2f} s  (target <= 2 s; each: {', '.join(f'{c:.2f}' for c in cold)}; "
          f"new drapes cached: {new_drapes} -> drapes were {'cold' if new_drapes else 'warm'})")


def worker_ready(log: Path) -> bool:
    return log.exists() and "ready." in log.read_text(errors="replace")


def bench_prerender(skirt: str, processes: int, celery: bool) -> float:
    """Renders/min of one 12-render batch at 256x384: fresh database and blobs, and
    the avatars' cached drapes removed first, so every render drapes too."""
    forget_drapes(AVATARS)
    with tempfile.TemporaryDirectory() as tmp:
        env = fresh_env(Path(tmp), BROKER if celery else None)
        (merchant,) = make_keys(env, "merchant", 1)
        workers = []
        if celery:
            subprocess.run(["redis-cli", "-n", "14", "flushdb"], check=True, capture_output=True)
            for i in range(processes):
                log = Path(tmp) / f"worker{i}.log"
                workers.append((subprocess.Popen(
                    [*TRYON, "worker", "--pool", "solo"], env=env, cwd=ROOT,
                    stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True), log))
            deadline = time.monotonic() + 90
            while not all(worker_ready(log) for _, log in workers):
                if time.monotonic() > deadline:
                    raise RuntimeError("celery workers did not start")
                time.sleep(0.5)
        server = Server(env, workers=1 if celery else processes)
        try:
            conn = server.conn("127.0.4.1")
            body = json.dumps({"garments": [skirt], "avatars": AVATARS, "sizes": ["M"],
                               "views": ["front"], "width": 256, "height": 384})
            start = time.perf_counter()
            status, headers, answer = request(conn, "POST", "/v1/catalog/prerender",
                                              {**auth(merchant, False),
                                               "Content-Type": "application/json"}, body)
            assert status == 202, (status, answer[:200])
            location = headers["Location"]
            while True:
                job = json.loads(request(conn, "GET", location, auth(merchant, False))[2])
                if job["status"] in ("done", "failed"):
                    break
                if time.perf_counter() - start > 400:
                    raise RuntimeError(f"batch not done in time: {job['progress']}")
                time.sleep(0.25)
            elapsed = time.perf_counter() - start
            assert job["status"] == "done", job
            conn.close()
        finally:
            server.stop()
            for proc, _ in workers:
                stop_group(proc)
    return len(AVATARS) / elapsed * 60


def main() -> None:
    from garments.store import GarmentStore
    from tryon.core.settings import settings

    skirt = next(g for g in GarmentStore(settings().garments_dir).list() if g.name == "A-line skirt").id
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
          f"Python {platform.python_version()}; client and server share the cores")
    bench_hits(skirt)
    print("catalog prerender, 12 renders 256x384 of distinct avatars (A-line skirt M, front; "
          "drapes cold):")
    for celery in (False, True):
        rates = [bench_prerender(skirt, n, celery) for n in (1, 2)]
        what = ("celery, 1 / 2 `tryon worker --pool solo`" if celery
                else "in-process runner, serve --workers 1 / 2")
        print(f"  {what:46} {rates[0]:6.1f} / {rates[1]:.1f} renders/min "
              f"(x{rates[1] / rates[0]:.2f})")


if __name__ == "__main__":
    main()
