"""A cold `tryon serve`: seconds until it answers its first render; and,
with --prepare, the one-time preparation into a fresh data directory.

Targets on 2 cores: first render <= 10 s once the data is prepared;
preparation <= 3 min. Runs the real console script on a loopback port.
Run: .venv/bin/python bench/bench_serve.py [--prepare]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
TIMEOUT_S = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_render_seconds(env: dict) -> float:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/avatars/f165-eu40/render.png?width=256&height=384"
    start = time.perf_counter()
    server = subprocess.Popen([BIN / "tryon", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < TIMEOUT_S:
            try:
                with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
                    if response.status == 200 and response.read(8).startswith(b"\x89PNG"):
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.1)  # not listening yet
        raise RuntimeError("no render within the time limit")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prepare", action="store_true", help="also time a fresh `tryon prepare`")
    args = parser.parse_args()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as fresh:
        if args.prepare:
            env["TRYON_DATA_DIR"] = fresh
            start = time.perf_counter()
            subprocess.run([BIN / "tryon", "prepare"], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            print(f"{'one-time preparation (fresh data dir)':48} {time.perf_counter() - start:9.1f} s"
                  "  (target 180 s)")
        seconds = first_render_seconds(env)
        print(f"{'cold tryon serve -> first render':48} {seconds:9.1f} s  (target 10 s)")


if __name__ == "__main__":
    main()
