"""Job tests run against a fresh database and blob store of their own.

The body model and garments still come from the prepared data directory;
only the database (``$TRYON_DATABASE_URL``) and blobs (``$TRYON_BLOB_URL``)
move to a temporary folder, which a worker subprocess can share by env.
"""

from __future__ import annotations

import pytest

from tests.postgres import postgres_schema
from tryon.core.settings import settings
from tryon.storage.database import dispose_engines


@pytest.fixture()
def job_env(tmp_path, monkeypatch) -> dict[str, str]:
    """A fresh SQLite database and blob folder, set in the environment."""
    env = {"TRYON_DATABASE_URL": f"sqlite:///{tmp_path / 'tryon.sqlite3'}",
           "TRYON_BLOB_URL": f"file://{tmp_path / 'blobs'}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRYON_BROKER_URL", raising=False)
    yield env
    dispose_engines()


@pytest.fixture()
def postgres_env(job_env, monkeypatch):
    """``job_env`` with the database in a fresh schema on the local PostgreSQL."""
    with postgres_schema("tryon_jobs") as (_, _, url):
        monkeypatch.setenv("TRYON_DATABASE_URL", url)
        yield


@pytest.fixture()
def runner(job_env):
    from tryon.jobs.runners import InProcessRunner
    from tryon.outputs.tasks import TASKS

    runner = InProcessRunner(TASKS, settings())
    yield runner
    runner.shutdown()
