"""A fresh schema on the local PostgreSQL for one test (``$TRYON_TEST_POSTGRES_URL``,
default user postgres, database ``test`` on 127.0.0.1), or a skip saying why."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get("TRYON_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def postgres_schema(prefix: str) -> Iterator[tuple]:
    """(admin engine, schema name, database URL searching that schema); the schema is
    dropped afterwards. Skips the test when the server cannot be reached."""
    admin = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        admin.connect().close()
    except Exception as e:  # any failure to connect means: no server for this test
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable ({type(e).__name__})")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield admin, schema, f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        from tryon.storage.database import dispose_engines

        dispose_engines()
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
