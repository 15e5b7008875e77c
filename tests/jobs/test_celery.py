"""A job travels API -> Redis -> a real Celery worker process -> database and blob store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tryon.core.settings import data_dir, settings
from tests.settings import current_blobs

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

BROKER_URL = os.environ.get("TRYON_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def broker():
    """The test broker's URL, emptied first; skipped when no Redis answers."""
    import redis

    client = redis.Redis.from_url(BROKER_URL, socket_connect_timeout=2)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {BROKER_URL}; set TRYON_TEST_BROKER_URL to test against one")
    yield BROKER_URL
    client.flushdb()
    client.close()


@pytest.fixture()
def worker(job_env, broker, monkeypatch, tmp_path):
    """One Celery worker subprocess sharing this test's database and blobs:
    (the process, its log file)."""
    monkeypatch.setenv("TRYON_BROKER_URL", broker)
    env = {**os.environ, **job_env, "TRYON_BROKER_URL": broker,
           "TRYON_DATA_DIR": str(data_dir()),  # the prepared body model and garments
           "PYTHONPATH": str(REPO)}
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "tryon.celery_app", "worker", "--pool", "solo",
         "--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    yield process, log_path
    stop_worker(process)
    log.close()


def stop_worker(process: subprocess.Popen) -> None:
    """Warm shutdown (finish the current job, then exit); kill if it hangs."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_a_job_runs_on_a_celery_worker(worker, render_params):
    from tryon.jobs.runners import CeleryRunner, open_job_queue
    from tryon.outputs.tasks import TASKS

    process, log_path = worker
    queue = open_job_queue(TASKS, settings())
    assert isinstance(queue, CeleryRunner)
    job_id = queue.submit("render", {**render_params, "width": 98})
    job = queue.wait(job_id, timeout=60)
    log = log_path.read_text()
    assert job.status == "done", f"job {job.status}: {job.error}\n{log}"
    assert process.poll() is None
    assert f"tryon.run_job[{job_id}] succeeded" in log  # the worker, not this process, ran it
    assert "warmed up in" in log  # a solo worker warms up the process that runs the jobs
    assert current_blobs().get(job.result).startswith(b"\x89PNG\r\n\x1a\n")
