"""Background jobs: the queue interface, running one job, and crash recovery.

Flask never renders on a request thread (DESIGN.md, decisions 2 and 5): a
request submits a job and answers with its id; a runner
(``tryon.jobs.runners``) executes it. A queue is handed its task table
(kind -> ``Task``, e.g. ``tryon.outputs.tasks.TASKS``) and the ``Settings``
its tasks run under; this package knows no task of its own.

The database, not the broker, holds every job's state: queued -> running
-> done (result) or failed (error, error_code). A running job holds a
lease, renewed by a heartbeat while it runs; a job whose lease has passed
belongs to a worker that died, and ``recover_stale_jobs`` requeues it, or
fails it after ``MAX_ATTEMPTS``. A task that fails for a passing reason
(``tryon.storage.transient``: the database restarting, a full disk, a
dropped connection) is tried again in place, up to ``MAX_ATTEMPTS`` in all.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tryon.core.errors import error_code
from tryon.core.settings import Settings
from tryon.storage.database import lock_for_write, session_scope
from tryon.storage.models import Job, utcnow
from tryon.storage.transient import is_transient

#: A task: a job's JSON params and the settings to run under -> the job's result.
Task = Callable[[Mapping[str, Any], Settings], str]

MAX_ATTEMPTS = 3
RETRY_BACKOFF_S = 2.0  # waited before attempt n + 1: n times this
ACTIVE = ("queued", "running")
DEDUPE_PARAM = "dedupe_key"  # kept in params: the jobs table has no column for it

log = logging.getLogger(__name__)
_running_job: ContextVar[str | None] = ContextVar("tryon_running_job", default=None)


def report_progress(done: int, total: int) -> None:
    """Record the running job's progress (``done`` of ``total`` parts: a video's
    frames, say); nothing when called outside a job. ``GET /v1/jobs/{id}`` shows it."""
    job_id = _running_job.get()
    if job_id is None:
        return
    with session_scope() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.status == "running")
                        .values(progress_done=int(done), progress_total=max(1, int(total))))


class JobQueue(ABC):
    """Submit jobs and read their state; subclasses decide where they run.

    ``tasks``: the kinds this queue runs; ``config``: the settings its tasks
    run under. A worker silent for
    ``config.job_lease_s`` is taken for dead.
    """

    def __init__(self, tasks: Mapping[str, Task], config: Settings):
        self.tasks, self.config = dict(tasks), config

    def submit(self, kind: str, params: Mapping[str, Any], dedupe_key: str | None = None) -> str:
        """Queue a ``kind`` job (a key of the queue's tasks) and return its id.

        While a job with the same ``dedupe_key`` is queued or running, its id
        is returned instead and nothing new is queued: 50 identical requests
        run once.
        """
        if kind not in self.tasks:
            raise ValueError(f"unknown job kind {kind!r}; one of {', '.join(self.tasks)}")
        params = dict(params)
        if dedupe_key is not None:
            params[DEDUPE_PARAM] = dedupe_key
        with session_scope() as session:
            if dedupe_key is not None:
                _lock_dedupe_key(session, dedupe_key)
                existing = session.scalars(
                    select(Job.id).where(Job.kind == kind, Job.status.in_(ACTIVE),
                                         Job.params[DEDUPE_PARAM].as_string() == dedupe_key)
                ).first()
                if existing is not None:
                    return existing
            job = Job(kind=kind, params=params, status="queued")
            session.add(job)
        self.dispatch(job.id)
        return job.id

    def get(self, job_id: str) -> Job | None:
        """The job (detached, a snapshot), or None if there is none."""
        with session_scope() as session:
            return session.get(Job, job_id)

    def wait(self, job_id: str, timeout: float, poll_s: float = 0.05) -> Job | None:
        """The job once it is done or failed, or as it stands after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            job = self.get(job_id)
            if job is None or job.status not in ACTIVE or time.monotonic() >= deadline:
                return job
            time.sleep(poll_s)

    def recover(self) -> list[str]:
        """Requeue or fail jobs whose workers died, then send the requeued ones
        to be run again; return their ids."""
        with session_scope() as session:
            requeued = recover_stale_jobs(session)
        for job_id in requeued:
            self.dispatch(job_id)
        return requeued

    @abstractmethod
    def dispatch(self, job_id: str) -> None:
        """Hand a queued job to whatever runs it."""


def execute(job_id: str, tasks: Mapping[str, Task], config: Settings) -> None:
    """Run one queued job to done or failed; do nothing if someone else has it.

    Called by every runner. Errors the task raises become the job's
    ``error`` and ``error_code``; a transient one (``is_transient``) is
    first retried here, after ``RETRY_BACKOFF_S`` per attempt made, until
    the job has had ``MAX_ATTEMPTS`` (then its code is ``unavailable``). A
    crash of the process leaves the job ``running`` until its lease passes
    and ``recover_stale_jobs`` takes it back.
    """
    job = _claim(job_id, config.job_lease_s)
    if job is None:
        return
    attempt = job.attempts
    running = _running_job.set(job_id)
    try:
        _run(job_id, job, attempt, tasks, config)
    finally:
        _running_job.reset(running)


def _run(job_id: str, job: Job, attempt: int, tasks: Mapping[str, Task], config: Settings) -> None:
    with _heartbeat(job_id, config.job_lease_s):
        while True:
            try:
                result = tasks[job.kind](job.params, config)
            except Exception as error:  # any failure of the task is the job's, reported, not raised
                if is_transient(error) and attempt < MAX_ATTEMPTS:
                    log.warning("job %s (%s) failed for a passing reason; retrying (attempt %d)",
                                job_id, job.kind, attempt + 1, exc_info=True)
                    time.sleep(RETRY_BACKOFF_S * attempt)
                    attempt = _count_retry(job_id, error)
                    if attempt is None:  # recovery took it back meanwhile
                        return
                    continue
                log.warning("job %s (%s) failed", job_id, job.kind, exc_info=True)
                code = "unavailable" if is_transient(error) else error_code(error)
                _finish(job_id, status="failed", error=describe_error(error), code=code)
            else:
                _finish(job_id, status="done", result=result)
            return


def describe_error(error: Exception) -> str:
    """A reason a person can read: KeyError's message without repr quotes."""
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return f"{type(error).__name__}: {message}"


def recover_stale_jobs(session: Session, now: datetime | None = None) -> list[str]:
    """Take back running jobs whose lease has passed (their worker died).

    Each is requeued if it has been tried fewer than ``MAX_ATTEMPTS`` times,
    else failed with the reason. Returns the ids of the requeued jobs, which
    the caller must dispatch again. Run at the start of every runner.
    """
    now = now or utcnow()
    lock_for_write(session)
    stale = session.scalars(
        select(Job).where(Job.status == "running", Job.lease_expires_at < now)
        .with_for_update(skip_locked=True)  # PostgreSQL: two recovering processes split them
    ).all()
    requeued = []
    for job in stale:
        job.lease_expires_at = None
        if job.attempts < MAX_ATTEMPTS:
            job.status = "queued"
            requeued.append(job.id)
        else:
            job.status, job.finished_at = "failed", now
            job.error_code = "internal"
            job.error = (f"the worker running it stopped {job.attempts} times without finishing "
                         f"(lease expired); gave up after {MAX_ATTEMPTS} attempts")
    if stale:
        log.warning("recovered %d stale jobs: %d requeued", len(stale), len(requeued))
    return requeued


def queued_jobs(limit: int | None = None) -> list[str]:
    """Ids of queued jobs, oldest first."""
    with session_scope() as session:
        return list(session.scalars(select(Job.id).where(Job.status == "queued")
                                    .order_by(Job.created_at).limit(limit)).all())


def _lock_dedupe_key(session: Session, dedupe_key: str) -> None:
    # Two submitters of one key must not both see "none active" and both
    # insert: serialise them. SQLite: the database's write lock; PostgreSQL:
    # an advisory lock on the key's hash, held until commit.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                        {"k": zlib.crc32(dedupe_key.encode())})
    else:
        lock_for_write(session)


def _claim(job_id: str, lease_s: float) -> Job | None:
    """queued -> running in one conditional UPDATE; the job, or None if it was not queued."""
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", attempts=Job.attempts + 1, started_at=now,
                    lease_expires_at=now + timedelta(seconds=lease_s), error=None,
                    error_code=None)
        ).rowcount
        return session.get(Job, job_id) if claimed else None


def _count_retry(job_id: str, error: Exception) -> int | None:
    """One more attempt of a job still running (the last error kept for the
    record); the attempt's number, or None if the job is no longer ours."""
    with session_scope() as session:
        retried = session.execute(
            update(Job).where(Job.id == job_id, Job.status == "running")
            .values(attempts=Job.attempts + 1, error=f"retrying after {describe_error(error)}")
        ).rowcount
        return session.get(Job, job_id).attempts if retried else None


def _finish(job_id: str, status: str, result: str | None = None, error: str | None = None,
            code: str | None = None) -> None:
    # Only a job still running is finished: if recovery took it back meanwhile
    # (a heartbeat was missed), the retry's outcome is the one that counts.
    values = dict(status=status, result=result, error=error, error_code=code, finished_at=utcnow(),
                  lease_expires_at=None)
    if status == "done":
        values["progress_done"] = Job.progress_total
    with session_scope() as session:
        session.execute(update(Job).where(Job.id == job_id, Job.status == "running").values(**values))


@contextmanager
def _heartbeat(job_id: str, lease_s: float) -> Iterator[None]:
    """Renew the job's lease every ``lease_s / 4`` seconds while the block runs
    (several renewals per lease, so one late beat does not lose the job)."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease_s / 4):
            try:
                with session_scope() as session:
                    session.execute(
                        update(Job).where(Job.id == job_id, Job.status == "running")
                        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s))
                    )
            except Exception:  # a missed beat is survivable; the next one may land
                log.warning("heartbeat for job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"tryon-heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
