"""``tryon serve``: the API on gunicorn, several worker processes.

The master process only migrates the database (once, before any worker
forks) and supervises; it never builds the app, imports the renderer or
touches EGL. Each worker builds its own app after the fork
(``preload_app`` off), and with it, on first use, its own job queue and
render thread (``tryon.render.renderer.get_renderer`` is per process), so no GL
state crosses a fork. Requests are served by ``threads`` threads per
worker. Before a worker accepts a connection
it starts its job queue (so the in-process runners of all workers share
queued jobs) and warms up (``tryon.outputs.warm_up``): no request waits for the
body model, the cloth kernels or the renderer to load.

Each worker reads requests with waitress (``api.buffered_worker``): a
request reaches one of the ``threads`` app threads only once it has arrived
whole, so slow or stalled clients hold no thread.
"""

from __future__ import annotations

import threading

from gunicorn.app.base import BaseApplication

from api.extensions import settings_of, start_job_queue
from garments.store import GarmentStore
from tryon.core.periodic import run_every
from tryon.core.settings import log_progress, settings
from tryon.outputs.warm_up import warm_up_and_report
from tryon.storage.database import dispose_engines, upgrade_database

#: A render request waits up to its budget (8 s by default): well inside this.
WORKER_TIMEOUT_S = 120
SWEEP_EVERY_S = 600.0  # how often each worker removes what killed imports left


class TryonServer(BaseApplication):
    """gunicorn, configured in code, serving ``api.create_app()`` in each worker."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            if name in self.cfg.settings and value is not None:
                self.cfg.set(name, value)

    def load(self):
        # Runs in each worker after the fork (preload_app is off): the master
        # never imports the app, so no app state crosses a fork.
        from api import create_app

        return create_app()


def server_options(host: str, port: int, workers: int = 2, threads: int = 4) -> dict:
    if workers < 1 or threads < 1:
        raise ValueError("workers and threads must be at least 1")
    return {"bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
            "workers": workers, "threads": threads,
            "worker_class": "api.buffered_worker.BufferedWorker",
            "preload_app": False, "timeout": WORKER_TIMEOUT_S, "graceful_timeout": 30,
            "proc_name": "tryon", "accesslog": None, "errorlog": "-", "loglevel": "info",
            # gunicorn's control socket would live in ~/.gunicorn: nothing of
            # ours writes into a user's home behind their back.
            "control_socket_disable": True,
            "post_worker_init": _warm_up_worker}


def _warm_up_worker(worker) -> None:
    # Runs after the worker loaded the app and before it accepts a connection,
    # so no request lands on a cold worker.

    start_job_queue(worker.wsgi)  # its runner shares the other workers' queued jobs
    warm_up_and_report()
    keep_sweeping(GarmentStore(settings_of(worker.wsgi).garments_dir))


def keep_sweeping(store: GarmentStore, every_s: float = SWEEP_EVERY_S) -> threading.Thread:
    """Remove what killed imports left (``GarmentStore.sweep_stale_imports``) every
    ``every_s`` on a daemon thread: a worker killed mid-upload leaves its
    staging folder, and the server may run for months without a restart."""
    return run_every(every_s, store.sweep_stale_imports, "tryon-import-sweep")


def serve(host: str, port: int, workers: int = 2, threads: int = 4) -> None:
    """Migrate the database and sweep what killed imports left, once, then run
    gunicorn until it is stopped (SIGTERM/SIGINT)."""
    upgrade_database()
    swept = GarmentStore(settings().garments_dir).sweep_stale_imports()
    if swept:
        log_progress(f"Removed {swept} unfinished garment imports left by a stopped process.")
    dispose_engines()  # no pooled connection is inherited by the workers
    TryonServer(server_options(host, port, workers, threads)).run()
