"""The Celery app behind ``tryon worker`` and ``CeleryRunner`` (scale-out).

The broker is ``$TRYON_BROKER_URL`` (``redis://host:6379/0``). Messages
carry only a job id; the task runs ``tryon.jobs.execute``, the code the
in-process runner runs, and results go to the database and blob store, so
Celery keeps no results. Run workers with ``tryon worker`` or
``celery -A tryon.celery_app worker``; each process that runs jobs warms up
as it starts (``tryon.warm_up``).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_process_init, worker_ready

app = Celery("tryon", broker=os.environ.get("TRYON_BROKER_URL"))
app.conf.update(
    task_ignore_result=True,  # job state lives in the database
    task_default_queue="tryon",
    # Acknowledge after the job ran, so a message whose worker died is
    # delivered again; claiming in the database keeps a job from running twice.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,  # renders are long: a worker holds one job, not a batch
    broker_connection_retry_on_startup=True,
)


@app.task(name="tryon.run_job")
def run_job(job_id: str) -> None:
    """Run the job ``job_id`` (its state and result are written to the database)."""
    from tryon.jobs import execute  # imported here: the body model loads only in workers

    execute(job_id)


@worker_ready.connect
def _recover_on_start(sender=None, **_) -> None:
    # A worker that starts after a crash takes back the jobs the dead one held,
    # and keeps doing so while it runs: a redelivered message of a job still
    # marked running is dropped by the claim, so recovery must requeue it.
    from celery.concurrency.prefork import TaskPool as PreforkPool

    from tryon.jobs import CeleryRunner, keep_recovering
    from tryon.warm_up import warm_up_in_background

    runner = CeleryRunner()
    runner.recover()
    keep_recovering(runner)
    if not isinstance(getattr(sender, "pool", None), PreforkPool):
        warm_up_in_background()  # solo/threads: jobs run in this process


@worker_process_init.connect
def _warm_up_child(**_) -> None:
    # Each prefork child has its own renderer (no GL state crosses a fork):
    # warm it up, not the parent, which runs no job.
    from tryon.warm_up import warm_up_in_background

    warm_up_in_background()
