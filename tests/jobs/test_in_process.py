"""Jobs on the in-process runner: render, dedupe, failure, crash recovery."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tryon.storage.database import session_scope
from tryon.storage.models import Job, RenderRecord, utcnow
from tryon.jobs.queue import MAX_ATTEMPTS, recover_stale_jobs
from tryon.jobs.runners import InProcessRunner
from tryon.outputs.keys import render_key_for
from tryon.outputs.tasks import TASKS
from tests.settings import current_blobs, current_garments
from tryon.core.settings import settings

pytestmark = pytest.mark.slow  # needs the prepared body model, or renders, drapes, servers

PNG = b"\x89PNG\r\n\x1a\n"
TIMEOUT_S = 60


def test_render_job_stores_a_png_and_indexes_it(runner, render_params):
    job = runner.wait(runner.submit("render", render_params), TIMEOUT_S)
    assert (job.status, job.error, job.attempts) == ("done", None, 1)
    assert current_blobs().get(job.result).startswith(PNG)
    with session_scope() as session:
        record = session.get(RenderRecord, render_key_for(render_params, current_garments()))
        assert (record.digest, record.media_type) == (job.result, "image/png")

    # Idempotent: the same render again is found, not redone.
    again = runner.wait(runner.submit("render", render_params), TIMEOUT_S)
    assert again.result == job.result


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_identical_concurrent_submits_make_one_job(request, job_env, backend, render_params):
    if backend == "postgres":
        request.getfixturevalue("postgres_env")
    runner = InProcessRunner(TASKS, settings())
    params = {**render_params, "width": 97}  # a cold render, so it is still running
    key = render_key_for(params, current_garments())
    start = threading.Barrier(20)
    ids = []

    def submit():
        start.wait()
        ids.append(runner.submit("render", params, dedupe_key=key))

    threads = [threading.Thread(target=submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(ids) == 20
        # Submits that overlap the job share it; one that comes after it
        # finished gets a job that finds the render already stored. Either
        # way the image is rendered once.
        results = {runner.wait(i, TIMEOUT_S).result for i in set(ids)}
        assert len(results) == 1 and None not in results
        assert ids.count(ids[0]) > 1
        with session_scope() as session:
            assert session.query(RenderRecord).count() == 1
    finally:
        runner.shutdown()


def test_a_failing_job_ends_failed_with_a_reason(runner, render_params):
    job = runner.wait(runner.submit("render", {**render_params, "garment": "no-such-garment"}),
                      TIMEOUT_S)
    assert job.status == "failed" and job.result is None
    assert job.error == "NotFound: no garment 'no-such-garment'"
    assert job.error_code == "not_found"  # for programs: no sentence to parse


def test_unknown_job_kinds_are_refused(runner):
    with pytest.raises(ValueError, match="unknown job kind"):
        runner.submit("teleport", {})


def _stranded_job(params, attempts) -> str:
    """A job as a worker that died mid-run leaves it: running, lease passed."""
    past = utcnow() - timedelta(minutes=5)
    with session_scope() as session:
        job = Job(kind="render", params=params, status="running", attempts=attempts,
                  started_at=past, lease_expires_at=past + timedelta(seconds=60))
        session.add(job)
    return job.id


def test_a_dead_workers_job_is_requeued_and_completed_on_restart(job_env, render_params):
    InProcessRunner(TASKS, settings()).shutdown()  # creates the schema, as an earlier run would have
    stranded = _stranded_job(render_params, attempts=1)

    runner = InProcessRunner(TASKS, settings())  # a restart: recovers, then runs the job again
    try:
        job = runner.wait(stranded, TIMEOUT_S)
    finally:
        runner.shutdown()
    assert (job.status, job.attempts, job.error) == ("done", 2, None)
    assert current_blobs().get(job.result).startswith(PNG)


def test_a_job_that_exhausted_its_attempts_is_failed(runner, render_params):
    stranded = _stranded_job(render_params, attempts=MAX_ATTEMPTS)
    live = _stranded_job(render_params, attempts=1)
    with session_scope() as session:  # a live worker's lease is in the future
        session.get(Job, live).lease_expires_at = utcnow() + timedelta(seconds=60)

    with session_scope() as session:
        assert recover_stale_jobs(session) == []
    job = runner.get(stranded)
    assert job.status == "failed" and job.finished_at is not None
    assert f"gave up after {MAX_ATTEMPTS} attempts" in job.error
    assert runner.get(live).status == "running"


def test_an_idle_runner_takes_a_job_queued_by_another_process(runner, render_params):
    # A job in the database that no runner of this process was handed: what
    # another server process's busy pool still holds. The idle runner claims it.
    with session_scope() as session:
        job = Job(kind="render", params={**render_params, "width": 98}, status="queued")
        session.add(job)
    done = runner.wait(job.id, TIMEOUT_S)
    assert (done.status, done.attempts) == ("done", 1)


def test_a_running_server_takes_back_a_dead_workers_job(job_env, render_params, monkeypatch):
    runner = InProcessRunner(TASKS, settings().replace(job_lease_s=2.0))  # recovery every second
    try:
        stranded = _stranded_job({**render_params, "width": 99}, attempts=1)  # after its start
        job = runner.wait(stranded, TIMEOUT_S)
    finally:
        runner.shutdown()
    assert (job.status, job.attempts) == ("done", 2)
