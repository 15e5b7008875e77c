"""Crash safety: a Celery worker SIGKILLed in the middle of a render.

The job it held stays ``running`` until its lease (``$TRYON_JOB_LEASE_S``,
short here) passes; a fresh worker recovers it on start, requeues it
(attempt 2) and finishes it. Earlier outputs are untouched, and no file in
the blob store holds anything but the bytes its name is the hash of.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.jobs.test_celery import REPO, broker, stop_worker  # noqa: F401  (broker: a fixture)
from tryon.core.settings import data_dir, settings
from tests.settings import current_blobs

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

LEASE_S = 2.0


@pytest.fixture()
def start_worker(job_env, broker, monkeypatch, tmp_path):  # noqa: F811
    """Starts Celery worker subprocesses sharing this test's database and blobs."""
    monkeypatch.setenv("TRYON_BROKER_URL", broker)
    env = {**os.environ, **job_env, "TRYON_BROKER_URL": broker, "TRYON_JOB_LEASE_S": str(LEASE_S),
           "TRYON_DATA_DIR": str(data_dir()), "PYTHONPATH": str(REPO)}
    started = []

    def start(name: str):
        log = (tmp_path / f"{name}.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tryon.celery_app", "worker", "--pool", "solo",
             "--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", f"{name}@%h"],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            stop_worker(process)
        log.close()


def _wait_status(queue, job_id: str, status: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while queue.get(job_id).status != status:
        assert time.monotonic() < deadline, f"job never {status}: {queue.get(job_id)}"
        time.sleep(0.005)


def test_a_killed_worker_s_job_is_retried_and_earlier_data_survives(start_worker, render_params,
                                                                     tmp_path):
    from sqlalchemy import select

    from tryon.storage.database import session_scope
    from tryon.storage.models import RenderRecord
    from tryon.jobs.runners import open_job_queue
    from tryon.outputs.tasks import TASKS

    queue = open_job_queue(TASKS, settings())
    first = start_worker("first")
    earlier = queue.wait(queue.submit("render", {**render_params, "width": 40, "height": 60}), 120)
    assert earlier.status == "done", earlier.error
    earlier_bytes = current_blobs().get(earlier.result)
    with session_scope() as session:
        earlier_records = {(r.cache_key, r.digest) for r in session.scalars(select(RenderRecord))}
    assert len(earlier_records) == 1

    # a big render, so that it is still running when the worker dies
    job_id = queue.submit("render", {**render_params, "width": 1536, "height": 2048})
    _wait_status(queue, job_id, "running", timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    job = queue.get(job_id)
    assert job.status == "running" and job.attempts == 1  # the dead worker's job, stranded
    time.sleep(LEASE_S + 0.5)  # its lease passes

    start_worker("second")  # recovers on start: requeued, run again
    job = queue.wait(job_id, timeout=180)
    log = (tmp_path / "second.log").read_text()
    assert job.status == "done", f"{job.status}: {job.error}\n{log}"
    assert job.attempts == 2
    assert current_blobs().get(job.result).startswith(b"\x89PNG\r\n\x1a\n")

    # earlier data intact
    assert current_blobs().get(earlier.result) == earlier_bytes
    with session_scope() as session:
        records = {(r.cache_key, r.digest) for r in session.scalars(select(RenderRecord))}
    assert earlier_records <= records and len(records) == 2
    # every blob under its final name holds exactly the bytes it is named by
    root = Path(job_envs_blob_root())
    for path in root.rglob("*"):
        if path.is_file() and not path.name.startswith(".tmp-"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, path


def job_envs_blob_root() -> str:
    url = os.environ["TRYON_BLOB_URL"]
    assert url.startswith("file://")
    return url[len("file://"):]
