"""Changing a test app's settings after it was built."""

from __future__ import annotations


def configure(app, **config) -> None:
    """Rebuild ``app``'s settings as ``create_app`` does, with ``config`` and the
    environment as they are now, and restart its job queue under them."""
    from api.extensions import init_settings, shutdown_job_queue

    app.config.update(config)
    shutdown_job_queue(app)
    init_settings(app)


def current_garments():
    """The garment store the current settings name (the prepared samples, unless a
    test points ``TRYON_GARMENTS_DIR`` elsewhere)."""
    from garments.store import GarmentStore
    from tryon.core.settings import settings

    return GarmentStore(settings().garments_dir)


def current_blobs():
    """The blob store the current settings name (``TRYON_BLOB_URL``, else the data dir's)."""
    from tryon.core.settings import settings
    from tryon.storage.blobs import open_blob_store

    return open_blob_store(settings())
