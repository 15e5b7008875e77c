"""Engine, sessions and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from tryon.storage.database import (
    alembic_config, database_url, get_engine, session_scope, upgrade_database,
)
from tryon.storage.models import Base, Job, RenderRecord

TABLES = {"api_keys", "jobs", "render_records", "measured_avatars", "alembic_version"}
ROOT = Path(__file__).resolve().parents[2]


def test_default_is_a_sqlite_file_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("TRYON_DATABASE_URL", raising=False)
    monkeypatch.setenv("TRYON_DATA_DIR", str(tmp_path))
    assert database_url() == f"sqlite:///{tmp_path / 'tryon.sqlite3'}"
    monkeypatch.setenv("TRYON_DATABASE_URL", "postgresql+psycopg://u@db/tryon")
    assert database_url() == "postgresql+psycopg://u@db/tryon"


def test_migrations_create_the_tables_and_match_the_models(db_url):
    upgrade_database(db_url)
    upgrade_database(db_url)  # again: nothing to do, no error
    engine = get_engine(db_url)
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []  # a model change needs a migration


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(sqlite_url):
    upgrade_database(sqlite_url)
    with get_engine(sqlite_url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_sqlite_transactions_are_real(sqlite_url):
    """A transaction reads one snapshot (sqlite3 on its own would not BEGIN before a SELECT)."""
    upgrade_database(sqlite_url)
    engine = get_engine(sqlite_url)
    with engine.connect() as reader:
        with reader.begin():
            assert reader.scalar(select(Job.id)) is None
            with session_scope(sqlite_url) as session:
                session.add(Job(kind="render"))
            assert reader.scalar(select(Job.id)) is None  # still the snapshot it began with
        assert reader.scalar(select(Job.id)) is not None


@pytest.mark.slow  # two migrating processes
def test_concurrent_first_starts_both_migrate_safely(db_url):
    """Four processes upgrading a new database at the same moment all succeed."""
    start = time.time() + 3  # all processes wait for this moment after their imports
    script = ("import sys, time; from tryon.storage.database import upgrade_database; "
              "time.sleep(max(0, float(sys.argv[2]) - time.time())); upgrade_database(sys.argv[1])")
    processes = [subprocess.Popen([sys.executable, "-c", script, db_url, str(start)], cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for p in processes:
        _, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
    assert TABLES <= set(inspect(get_engine(db_url)).get_table_names())


def test_rows_round_trip_with_aware_timestamps_and_constraints(db_url):
    upgrade_database(db_url)
    started = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    with session_scope(db_url) as session:
        batch = Job(kind="prerender", params={"garments": ["skirt"], "sizes": ["S", "M"]},
                    progress_total=2)
        session.add(batch)
        session.flush()
        session.add_all([Job(kind="render", batch_id=batch.id, started_at=started),
                         Job(kind="render", batch_id=batch.id)])
        session.add(RenderRecord(cache_key="c" * 64, digest="d" * 64, media_type="image/webp",
                                 size_bytes=5_000_000_000))
        batch_id = batch.id
    with session_scope(db_url) as session:
        child = session.scalar(select(Job).where(Job.started_at.is_not(None)))
        assert child.started_at == started and child.started_at.tzinfo == timezone.utc
        assert child.created_at.tzinfo == timezone.utc and child.status == "queued"
        assert session.get(Job, batch_id).params["sizes"] == ["S", "M"]
        assert session.get(RenderRecord, "c" * 64).size_bytes == 5_000_000_000
        session.delete(session.get(Job, batch_id))
    with session_scope(db_url) as session:
        assert session.scalars(select(Job)).all() == []  # children went with their batch
    with pytest.raises(IntegrityError):
        with session_scope(db_url) as session:
            session.add(Job(kind="render", status="lost"))
    with pytest.raises(StatementError, match="timezone-aware"):
        with session_scope(db_url) as session:
            session.add(Job(kind="render", started_at=datetime(2026, 1, 1)))
            session.flush()


def test_a_session_can_take_the_write_lock_up_front(db_url):
    """``sqlite_begin_immediate`` locks SQLite for writing at BEGIN; PostgreSQL ignores it."""
    upgrade_database(db_url)
    with session_scope(db_url) as session:
        session.connection(execution_options={"sqlite_begin_immediate": True})
        if db_url.startswith("sqlite"):
            other = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        assert session.scalar(select(Job.id)) is None
        session.add(Job(kind="render"))
