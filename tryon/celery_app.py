"""The Celery worker behind ``tryon worker`` (scale-out): ``celery -A tryon.celery_app worker``.

The broker is ``$TRYON_BROKER_URL`` (``redis://host:6379/0``). The one task,
``tryon.run_job``, runs ``tryon.jobs.queue.execute`` over the task table of
``tryon.outputs.tasks`` (the code the in-process runner runs), under the
settings the worker started with. Each process that runs jobs warms up as
it starts (``tryon.outputs.warm_up``).
"""

from __future__ import annotations

from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.signals import worker_process_init, worker_ready

from tryon.core.settings import settings
from tryon.jobs.celery import RUN_JOB, make_celery
from tryon.jobs.queue import execute
from tryon.jobs.runners import CeleryRunner, keep_recovering
from tryon.outputs.tasks import TASKS
from tryon.outputs.warm_up import warm_up_in_background

app = make_celery(settings().broker_url)


@app.task(name=RUN_JOB)
def run_job(job_id: str) -> None:
    """Run the job ``job_id`` (its state and result are written to the database)."""
    execute(job_id, TASKS, settings())


@worker_ready.connect
def _recover_on_start(sender=None, **_) -> None:
    # A worker that starts after a crash takes back the jobs the dead one held,
    # and keeps doing so while it runs: a redelivered message of a job still
    # marked running is dropped by the claim, so recovery must requeue it.

    runner = CeleryRunner(TASKS, settings())
    runner.recover()
    keep_recovering(runner)
    if not isinstance(getattr(sender, "pool", None), PreforkPool):
        warm_up_in_background()  # solo/threads: jobs run in this process


@worker_process_init.connect
def _warm_up_child(**_) -> None:
    # Each prefork child has its own renderer (no GL state crosses a fork):
    # warm it up, not the parent, which runs no job.

    warm_up_in_background()
