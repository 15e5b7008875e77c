"""The Celery app's configuration, shared by the processes that send jobs and those that run them.

Messages carry only a job id, to the task named ``RUN_JOB``; job state and
results live in the database and blob store, so Celery keeps no results.
The worker's app, which registers the task, is ``tryon.celery_app``.
"""

from __future__ import annotations

from celery import Celery

RUN_JOB = "tryon.run_job"  # the task's name on the wire: senders and workers agree on it
QUEUE = "tryon"


def make_celery(broker_url: str | None) -> Celery:
    """A Celery app for ``broker_url`` (``redis://host:6379/0``) with tryon's settings."""
    app = Celery("tryon", broker=broker_url)
    app.conf.update(
        task_ignore_result=True,  # job state lives in the database
        task_default_queue=QUEUE,
        # Acknowledge after the job ran, so a message whose worker died is
        # delivered again; claiming in the database keeps a job from running twice.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,  # renders are long: a worker holds one job, not a batch
        broker_connection_retry_on_startup=True,
    )
    return app
