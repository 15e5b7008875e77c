"""Job runners: where queued jobs run.

- ``InProcessRunner`` (embedded default): a small thread pool in this
  process. The render itself goes through the process's one render thread
  (``tryon.render.renderer``).
- ``CeleryRunner`` (``$TRYON_BROKER_URL=redis://...``): jobs travel through
  the broker to ``tryon worker`` processes (``tryon.celery_app``).

Both run the same code, ``tryon.jobs.queue.execute`` over the task table
they were handed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from tryon.core.periodic import run_every
from tryon.core.settings import Settings
from tryon.jobs.celery import RUN_JOB, make_celery
from tryon.jobs.queue import JobQueue, Task, execute, queued_jobs
from tryon.storage.database import upgrade_database

log = logging.getLogger(__name__)


class InProcessRunner(JobQueue):
    """Jobs on a thread pool in this process (the embedded default).

    ``threads`` defaults to ``config.job_threads`` (1): the drape solver is
    not known to be thread-safe and renders share one render thread anyway,
    so throughput comes from more processes, not more threads. On start,
    and every half lease after, it recovers jobs a dead process left
    running; it picks up queued ones that no one is running. While its pool
    is idle it keeps looking for queued jobs every ``IDLE_POLL_S``, so the
    processes of one server share a batch that a single request queued in
    one of them.
    """

    IDLE_POLL_S = 0.5

    def __init__(self, tasks: Mapping[str, Task], config: Settings, threads: int | None = None):
        super().__init__(tasks, config)
        threads = threads or self.config.job_threads
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="tryon-job")
        self._threads, self._in_hand = threads, 0
        self._in_hand_lock = threading.Lock()
        self._stopped = threading.Event()
        upgrade_database()
        self.recover()
        for job_id in queued_jobs():  # another live process may take some first; claiming decides
            self.dispatch(job_id)
        threading.Thread(target=self._take_idle_work, name="tryon-job-poll", daemon=True).start()
        keep_recovering(self, self._stopped)

    def dispatch(self, job_id: str) -> None:
        with self._in_hand_lock:
            self._in_hand += 1
        self._pool.submit(self._run, job_id)

    def _run(self, job_id: str) -> None:
        try:
            execute(job_id, self.tasks, self.config)
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
                for job_id in queued_jobs(limit=free):
                    self.dispatch(job_id)
            except Exception:  # a busy or restarting database: look again later
                log.warning("looking for queued jobs failed", exc_info=True)

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, finish the ones already handed over."""
        self._stopped.set()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class CeleryRunner(JobQueue):
    """Jobs sent through the broker at ``config.broker_url`` (``$TRYON_BROKER_URL``)
    to ``tryon worker``s, which run the same task table.

    Only the job id travels; params, state and results stay in the database
    and blob store, which the API and the workers share.
    """

    def __init__(self, tasks: Mapping[str, Task], config: Settings, broker_url: str | None = None):
        super().__init__(tasks, config)
        self.broker_url = broker_url or self.config.broker_url
        if not self.broker_url:
            raise ValueError("CeleryRunner needs a broker: set TRYON_BROKER_URL (redis://...)")
        self.app = make_celery(self.broker_url)
        upgrade_database()

    def dispatch(self, job_id: str) -> None:
        with self.app.connection_for_write(self.broker_url) as connection:
            # task_id = job id: the broker's and the database's records name the same job
            self.app.send_task(RUN_JOB, args=[job_id], task_id=job_id, connection=connection)


def keep_recovering(queue: JobQueue, stopped: threading.Event | None = None) -> threading.Thread:
    """Run ``queue.recover()`` every half lease on a daemon thread until ``stopped``
    is set: a live server or worker takes back the jobs of a process that died
    (or whose "done" was never written) without waiting for a restart."""
    return run_every(queue.config.job_lease_s / 2, queue.recover, "tryon-job-recovery", stopped)


def open_job_queue(tasks: Mapping[str, Task], config: Settings) -> JobQueue:
    """``CeleryRunner`` when ``config`` names a broker (``$TRYON_BROKER_URL``), else
    ``InProcessRunner``."""
    return CeleryRunner(tasks, config) if config.broker_url else InProcessRunner(tasks, config)
