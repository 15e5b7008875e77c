"""Job tests run against a fresh database and blob store of their own.

The body model and garments still come from the prepared data directory;
only the database (``$TRYON_DATABASE_URL``) and blobs (``$TRYON_BLOB_URL``)
move to a temporary folder, which a worker subprocess can share by env.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from tryon.core.settings import settings
from tryon.storage.database import dispose_engines

POSTGRES_URL = os.environ.get("TRYON_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        admin.connect().close()
    except Exception as e:  # any failure to connect means: no server for this test
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable ({type(e).__name__})")
    schema = f"tryon_jobs_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    monkeypatch.setenv("TRYON_DATABASE_URL", f"{POSTGRES_URL}?options=-csearch_path%3D{schema}")
    yield
    dispose_engines()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture()
def runner(job_env):
    from tryon.jobs.runners import InProcessRunner
    from tryon.outputs.tasks import TASKS

    runner = InProcessRunner(TASKS, settings())
    yield runner
    runner.shutdown()
