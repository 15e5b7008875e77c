"""Databases for the storage tests: a fresh SQLite file, and a fresh schema on the local PostgreSQL.

The PostgreSQL tests use ``$TRYON_TEST_POSTGRES_URL`` (default: the server
on 127.0.0.1, user postgres, database ``test``), each in a schema of its own
that is dropped afterwards, so reruns start clean. They are skipped, saying
why, when no server answers.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from tryon.storage.database import dispose_engines

POSTGRES_URL = os.environ.get("TRYON_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _fresh_engines():
    yield
    dispose_engines()  # no pooled connection outlives its test's database


@pytest.fixture()
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tryon.sqlite3'}"


@pytest.fixture(scope="session")
def postgres_admin():
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        engine.connect().close()
    except Exception as e:  # any failure to connect means: no server for these tests
        engine.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable ({type(e).__name__}); "
                    "set TRYON_TEST_POSTGRES_URL to test against one")
    yield engine
    engine.dispose()


@pytest.fixture()
def postgres_url(postgres_admin) -> str:
    schema = f"tryon_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    dispose_engines()  # drop waits for no one
    with postgres_admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request) -> str:
    """Each test that asks for it runs on both backends."""
    return request.getfixturevalue(f"{request.param}_url")
