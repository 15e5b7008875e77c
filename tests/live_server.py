"""A real ``tryon serve`` on a free loopback port, for tests that talk HTTP to it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TRYON = [sys.executable, "-m", "tryon.cli"]
START_TIMEOUT_S = 90


@dataclass
class LiveServer:
    base: str  # http://127.0.0.1:PORT
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def tryon_serve(env: dict, log: Path, workers: int = 2) -> Iterator[LiveServer]:
    """Start ``tryon serve`` with ``env``, yield once ``/healthz`` answers, and stop it
    with SIGTERM at the end (SIGKILL if it does not stop within 40 s)."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen([*TRYON, "serve", "--port", str(port), "--workers", str(workers)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        server = LiveServer(f"http://127.0.0.1:{port}", process, log)
        try:
            _wait_until_listening(server)
            yield server
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_listening(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert server.process.poll() is None, server.log_text()
        assert time.monotonic() < deadline, f"the server did not start\n{server.log_text()}"
        time.sleep(0.3)
