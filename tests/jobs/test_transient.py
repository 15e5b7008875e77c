"""Jobs that fail for a passing reason (a full disk, a locked or restarting database)
are tried again in place; jobs that fail on their input are not."""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tryon.core.settings import settings
from tryon.jobs.queue import MAX_ATTEMPTS, execute
from tryon.storage.database import session_scope, upgrade_database
from tryon.storage.models import Job
from tryon.storage.transient import is_transient


def _job(kind: str) -> str:
    upgrade_database()
    with session_scope() as session:
        job = Job(kind=kind, params={}, status="queued")
        session.add(job)
    return job.id


def _run(kind: str, task) -> Job:
    job_id = _job(kind)
    execute(job_id, {kind: task}, settings())
    with session_scope() as session:
        return session.get(Job, job_id)


def _locked_sqlite_error(tmp_path) -> OperationalError:
    """The error SQLAlchemy raises when another connection holds SQLite's write lock."""
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
    except OperationalError as error:
        return error
    finally:
        holder.close()
        engine.dispose()
    raise AssertionError("the write went through a held lock")


def _missing_table_error(tmp_path) -> OperationalError:
    """SQLite's OperationalError for a bug (no such table): not passing trouble."""
    engine = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT x FROM nowhere"))
    except OperationalError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("a missing table was read")


def test_what_counts_as_transient(tmp_path):
    assert is_transient(_locked_sqlite_error(tmp_path))
    assert is_transient(OSError(errno.ENOSPC, "No space left on device"))
    assert is_transient(ConnectionRefusedError(errno.ECONNREFUSED, "refused"))
    assert not is_transient(FileNotFoundError(errno.ENOENT, "gone"))
    assert not is_transient(ValueError("a bad mesh"))
    assert not is_transient(_missing_table_error(tmp_path))
    assert not is_transient(IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")))
    try:  # an explicit cause counts; an error raised while handling one does not
        raise RuntimeError("the blob write failed") from OSError(errno.EIO, "I/O error")
    except RuntimeError as error:
        assert is_transient(error)
    try:
        try:
            raise OSError(errno.EIO, "I/O error")
        except OSError:
            raise ValueError("the mesh is empty")
    except ValueError as error:
        assert not is_transient(error)


def test_a_full_disk_once_is_retried_and_the_job_succeeds(job_env):
    calls = []

    def task(params, config):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return "stored"

    job = _run("store", task)
    assert (job.status, job.result, job.attempts, job.error) == ("done", "stored", 2, None)


def test_a_bad_input_fails_at_once(job_env):
    calls = []

    def task(params, config):
        calls.append(1)
        raise ValueError("the garment has no faces")

    job = _run("store", task)
    assert len(calls) == 1
    assert (job.status, job.attempts, job.error_code) == ("failed", 1, "internal")


def test_a_database_locked_on_every_attempt_gives_up_as_unavailable(job_env, tmp_path):
    calls = []

    def task(params, config):
        calls.append(1)
        raise _locked_sqlite_error(tmp_path / str(len(calls)))

    (tmp_path / "1").mkdir(), (tmp_path / "2").mkdir(), (tmp_path / "3").mkdir()
    job = _run("store", task)
    assert len(calls) == MAX_ATTEMPTS
    assert (job.status, job.attempts, job.error_code) == ("failed", MAX_ATTEMPTS, "unavailable")
    assert "database is locked" in job.error
