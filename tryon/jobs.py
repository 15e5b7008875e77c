"""Background jobs: a queue interface, its runners, and crash recovery.

Flask never renders on a request thread (DESIGN.md, decisions 2 and 5): a
request submits a job and answers with its id; a runner executes it.

- ``InProcessRunner`` (embedded default): a small thread pool in this
  process. The render itself goes through the process's one render thread
  (``tryon.renderer``).
- ``CeleryRunner`` (``$TRYON_BROKER_URL=redis://...``): jobs travel through
  the broker to ``tryon worker`` processes (``tryon.celery_app``).

Both run the same code (``execute`` and ``tryon.tasks``), and the database,
not the broker, holds every job's state: queued -> running -> done (result)
or failed (error). A running job holds a lease, renewed by a heartbeat
while it runs; a job whose lease has passed belongs to a worker that died,
and ``recover_stale_jobs`` requeues it, or fails it after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tryon.database import session_scope, upgrade_database
from tryon.db_models import Job, utcnow

MAX_ATTEMPTS = 3
# a worker silent this long is taken for dead ($TRYON_JOB_LEASE_S overrides)
LEASE_S = float(os.environ.get("TRYON_JOB_LEASE_S") or 60.0)
ACTIVE = ("queued", "running")
DEDUPE_PARAM = "dedupe_key"  # kept in params: the jobs table has no column for it

log = logging.getLogger(__name__)


class JobQueue(ABC):
    """Submit jobs and read their state; subclasses decide where they run."""

    def submit(self, kind: str, params: Mapping[str, Any], dedupe_key: str | None = None) -> str:
        """Queue a ``kind`` job (a key of ``tryon.tasks.TASKS``) and return its id.

        While a job with the same ``dedupe_key`` is queued or running, its id
        is returned instead and nothing new is queued: 50 identical requests
        run once.
        """
        from tryon.tasks import TASKS

        if kind not in TASKS:
            raise ValueError(f"unknown job kind {kind!r}; one of {', '.join(TASKS)}")
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


class InProcessRunner(JobQueue):
    """Jobs on a thread pool in this process (the embedded default).

    ``threads`` defaults to ``$TRYON_JOB_THREADS`` or 1: the drape solver is
    not known to be thread-safe and renders share one render thread anyway,
    so throughput comes from more processes, not more threads. On start,
    and every ``LEASE_S / 2`` after, it recovers jobs a dead process left
    running; it picks up queued ones that no one is running. While its pool
    is idle it keeps looking for queued jobs every ``IDLE_POLL_S``, so the
    processes of one server share a batch that a single request queued in
    one of them.
    """

    IDLE_POLL_S = 0.5

    def __init__(self, threads: int | None = None):
        threads = threads or int(os.environ.get("TRYON_JOB_THREADS", "1"))
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tryon-job")
        self._threads, self._in_hand = threads, 0
        self._in_hand_lock = threading.Lock()
        self._stopped = threading.Event()
        upgrade_database()
        self.recover()
        for job_id in _queued_jobs():  # another live process may take some first; claiming decides
            self.dispatch(job_id)
        threading.Thread(target=self._take_idle_work, name="tryon-job-poll", daemon=True).start()
        keep_recovering(self, self._stopped)

    def dispatch(self, job_id: str) -> None:
        with self._in_hand_lock:
            self._in_hand += 1
        self._pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        try:
            execute(job_id)
        finally:
            with self._in_hand_lock:
                self._in_hand -= 1

    def _take_idle_work(self) -> None:
        # Jobs handed to another process wait in its pool; an idle one claims
        # them first (the claim is atomic, so the other skips them later).
        while not self._stopped.wait(self.IDLE_POLL_S):
            with self._in_hand_lock:
                free = self._threads - self._in_hand
            if free <= 0:
                continue
            try:
                for job_id in _queued_jobs(limit=free):
                    self.dispatch(job_id)
            except Exception:  # a busy or restarting database: look again later
                log.warning("looking for queued jobs failed", exc_info=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, finish the ones already handed over."""
        self._stopped.set()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class CeleryRunner(JobQueue):
    """Jobs sent through the broker at ``$TRYON_BROKER_URL`` to ``tryon worker``s.

    Only the job id travels; params, state and results stay in the database
    and blob store, which the API and the workers share.
    """

    def __init__(self, broker_url: str | None = None):
        from tryon.celery_app import app

        self.app = app
        # Read now, not when tryon.celery_app was imported: the URL is this runner's.
        self.broker_url = broker_url or os.environ["TRYON_BROKER_URL"]
        upgrade_database()

    def dispatch(self, job_id: str) -> None:
        with self.app.connection_for_write(self.broker_url) as connection:
            # task_id = job id: the broker's and the database's records name the same job
            self.app.send_task("tryon.run_job", args=[job_id], task_id=job_id,
                               connection=connection)


def keep_recovering(queue: JobQueue, stopped: threading.Event | None = None) -> threading.Thread:
    """Run ``queue.recover()`` every ``LEASE_S / 2`` on a daemon thread until ``stopped``
    is set: a live server or worker takes back the jobs of a process that died
    (or whose "done" was never written) without waiting for a restart."""
    stopped = stopped or threading.Event()

    def loop() -> None:
        while not stopped.wait(LEASE_S / 2):
            try:
                queue.recover()
            except Exception:  # a busy or restarting database: try again next time
                log.warning("recovering stale jobs failed", exc_info=True)

    thread = threading.Thread(target=loop, name="tryon-job-recovery", daemon=True)
    thread.start()
    return thread


def job_queue_from_env() -> JobQueue:
    """``CeleryRunner`` when ``$TRYON_BROKER_URL`` is set, else ``InProcessRunner``."""
    return CeleryRunner() if os.environ.get("TRYON_BROKER_URL") else InProcessRunner()


def execute(job_id: str, lease_s: float = LEASE_S) -> None:
    """Run one queued job to done or failed; do nothing if someone else has it.

    Called by every runner. Errors the task raises become the job's
    ``error``; a crash of the process leaves the job ``running`` until its
    lease passes and ``recover_stale_jobs`` takes it back.
    """
    from tryon.tasks import TASKS

    job = _claim(job_id, lease_s)
    if job is None:
        return
    try:
        with _heartbeat(job_id, lease_s):
            result = TASKS[job.kind](job.params)
    except Exception as error:  # any failure of the task is the job's, reported, not raised
        log.warning("job %s (%s) failed", job_id, job.kind, exc_info=True)
        _finish(job_id, status="failed", error=describe_error(error))
    else:
        _finish(job_id, status="done", result=result)


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
    session.connection(execution_options={"sqlite_begin_immediate": True})
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
            job.error = (f"the worker running it stopped {job.attempts} times without finishing "
                         f"(lease expired); gave up after {MAX_ATTEMPTS} attempts")
    if stale:
        log.warning("recovered %d stale jobs: %d requeued", len(stale), len(requeued))
    return requeued


def _queued_jobs(limit: int | None = None) -> list[str]:
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
        session.connection(execution_options={"sqlite_begin_immediate": True})


def _claim(job_id: str, lease_s: float) -> Job | None:
    """queued -> running in one conditional UPDATE; the job, or None if it was not queued."""
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", attempts=Job.attempts + 1, started_at=now,
                    lease_expires_at=now + timedelta(seconds=lease_s), error=None)
        ).rowcount
        return session.get(Job, job_id) if claimed else None


def _finish(job_id: str, status: str, result: str | None = None, error: str | None = None) -> None:
    # Only a job still running is finished: if recovery took it back meanwhile
    # (a heartbeat was missed), the retry's outcome is the one that counts.
    values = dict(status=status, result=result, error=error, finished_at=utcnow(),
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
