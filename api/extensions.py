"""What an app is built with: its settings, and the stores and job queue made from them.

``create_app`` fixes the app's ``Settings`` once: the process's (from the
``TRYON_*`` environment), with the app config's overrides (``CONFIG_FIELDS``:
tests and embedders pass ``GARMENTS_DIR`` and the like). The garment store,
blob store and job queue every route uses are made from those settings, and
the job queue hands the same settings to every task it runs, so a render key
computed by a route and the render made by the job read the same garment store.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from flask import Flask, current_app

from garments.store import GarmentStore
from tryon.core.settings import Settings, settings
from tryon.jobs.queue import JobQueue
from tryon.jobs.runners import open_job_queue
from tryon.outputs.tasks import TASKS
from tryon.storage.blobs import BlobStore, open_blob_store

#: App config keys that override a setting, and how their values are read.
CONFIG_FIELDS = {
    "GARMENTS_DIR": ("garments_dir", lambda v: Path(v).expanduser().resolve()),
    "RENDER_BUDGET_S": ("render_budget_s", float),
    "TWIN_BUDGET_S": ("twin_budget_s", float),
    "TWIN_MAX_UPLOAD_BYTES": ("twin_max_upload_bytes", int),
    "TRUSTED_PROXIES": ("trusted_proxies", int),
    "DEMO_ORIGINS": ("demo_origins", lambda v: tuple(v.replace(",", " ").split())
                     if isinstance(v, str) else tuple(v)),
    "DEMO_KEY_FILE": ("demo_key_file", lambda v: Path(v)),
}
_SETTINGS, _QUEUE = "tryon.settings", "tryon.job_queue"
_queue_lock = threading.Lock()


def init_settings(app: Flask) -> Settings:
    """Fix the app's settings: the process's, with the app config's overrides."""
    changes = {field: read(app.config[key]) for key, (field, read) in CONFIG_FIELDS.items()
               if app.config.get(key) is not None}
    app.extensions[_SETTINGS] = settings().replace(**changes)
    return app.extensions[_SETTINGS]


def app_settings() -> Settings:
    """The settings of the app handling this request."""
    return settings_of(current_app)


def settings_of(app: Flask) -> Settings:
    """The settings ``app`` was built with."""
    return app.extensions[_SETTINGS]


def garment_store() -> GarmentStore:
    """The app's garment store (``Settings.garments_dir``)."""
    return GarmentStore(app_settings().garments_dir)


def blob_store() -> BlobStore:
    """The app's blob store (``Settings.blob_url``)."""
    return open_blob_store(app_settings())


def job_queue() -> JobQueue:
    """The app's job queue (tryon's tasks, under the app's settings), made on
    first use and shut down at exit."""
    app = current_app._get_current_object()
    queue = app.extensions.get(_QUEUE)
    if queue is None:
        with _queue_lock:
            queue = app.extensions.get(_QUEUE)
            if queue is None:
                queue = open_job_queue(TASKS, settings_of(app))
                app.extensions[_QUEUE] = queue
                atexit.register(_shutdown, queue)
    return queue


def start_job_queue(app: Flask) -> None:
    """Make the app's queue now rather than on first use: a server process's
    runner then takes queued jobs of its siblings from the start (catalog
    batches spread over every process) and no request waits for it."""
    with app.app_context():
        job_queue()


def shutdown_job_queue(app: Flask, wait: bool = True) -> None:
    """Stop the app's queue, if it made one (tests, and process exit)."""
    queue = app.extensions.pop(_QUEUE, None)
    if queue is not None:
        _shutdown(queue, wait)


def _shutdown(queue: JobQueue, wait: bool = False) -> None:
    shutdown = getattr(queue, "shutdown", None)  # CeleryRunner holds no threads
    if shutdown is not None:
        shutdown(wait=wait)
