"""The relational database: one engine per URL per process, sessions, migrations.

``$TRYON_DATABASE_URL`` picks the database; without it tryon uses a SQLite
file, ``data_dir() / "tryon.sqlite3"``, which needs no server. PostgreSQL
comes by URL: ``postgresql+psycopg://user:password@host:5432/name``.

SQLite connections are set up for a web server with worker processes:

- WAL journal, so readers never wait for a writer and a writer never waits
  for readers;
- a busy timeout (``BUSY_TIMEOUT_MS``), so a writer that finds the database
  locked waits for its turn instead of failing at once;
- foreign keys enforced (SQLite leaves them off unless asked, per connection);
- real transactions: Python's ``sqlite3`` starts no transaction before a
  SELECT or DDL statement, so SQLAlchemy emits ``BEGIN`` itself (the recipe
  in SQLAlchemy's SQLite documentation, "Enabling Non-Legacy SQLite
  Transactional Modes"). A transaction that reads and then writes should
  take the write lock first, or it may fail under contention: open it with
  ``write_scope()`` (or call ``lock_for_write(session)`` first); PostgreSQL
  ignores the request.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from tryon.core.settings import data_dir, settings

BUSY_TIMEOUT_MS = 10_000
MIGRATIONS = Path(__file__).parent / "migrations"

# An arbitrary constant: the key of the PostgreSQL advisory lock that
# serialises migrations ("tryon" in ASCII).
_PG_MIGRATION_LOCK = 0x7472796F6E

_engines: dict[str, Engine] = {}
_sessionmakers: dict[str, sessionmaker[Session]] = {}
_lock = threading.Lock()


def database_url() -> str:
    """``$TRYON_DATABASE_URL``, else the SQLite file in the data directory."""
    data_dir()  # the SQLite file's folder must exist
    return settings().database_url


def make_engine(url: str) -> Engine:
    """A new engine for ``url``, with the SQLite settings of the module docstring."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # pre_ping: a server restart or an idle timeout must not fail the next request
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # sqlite3 stops emitting BEGIN; _sqlite_begin does it
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # first: switching to WAL may wait
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so a read-then-write
    # transaction that asked for it waits its turn instead of failing on a
    # stale snapshot (SQLITE_BUSY_SNAPSHOT ignores the busy timeout).
    immediate = connection.get_execution_options().get("sqlite_begin_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def get_engine(url: str | None = None) -> Engine:
    """This process's engine for ``url`` (default: ``database_url()``), made once."""
    url = url or database_url()
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def get_sessionmaker(url: str | None = None) -> sessionmaker[Session]:
    """This process's session factory for ``url`` (default: ``database_url()``).

    Sessions keep their objects readable after commit (``expire_on_commit``
    off), so a request can commit and then serialise what it wrote.
    """
    url = url or database_url()
    engine = get_engine(url)
    with _lock:
        if url not in _sessionmakers:
            _sessionmakers[url] = sessionmaker(engine, expire_on_commit=False)
        return _sessionmakers[url]


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    with get_sessionmaker(url).begin() as session:
        yield session


def lock_for_write(session: Session) -> None:
    """Take SQLite's write lock now, before this transaction's first read: a
    transaction that reads and then writes cannot upgrade its read snapshot
    while others write (PostgreSQL ignores this)."""
    session.connection(execution_options={"sqlite_begin_immediate": True})


@contextmanager
def write_scope(url: str | None = None) -> Iterator[Session]:
    """``session_scope`` for a transaction that reads, then writes: it holds the
    write lock from the start (``lock_for_write``)."""
    with session_scope(url) as session:
        lock_for_write(session)
        yield session


def dispose_engines() -> None:
    """Close every pooled connection and forget the engines (shutdown, tests)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _sessionmakers.clear()


def _forget_engines_after_fork() -> None:
    # A forked child (gunicorn, Celery prefork) must not use its parent's
    # pooled sockets and file handles; close=False leaves them to the parent.
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_engines_after_fork)


def alembic_config(url: str | None = None):
    """An Alembic ``Config`` for tryon's migrations; no ``alembic.ini`` needed.

    Developers write a new migration with, for example::

        from alembic import command
        command.revision(alembic_config(), message="...", autogenerate=True)
    """
    from alembic.config import Config  # alembic: only when migrating, not on every import

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # Config is a ConfigParser: a percent-encoded password (%40) must be escaped
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def upgrade_database(url: str | None = None) -> None:
    """Bring the database at ``url`` (default: ``database_url()``) to the newest schema.

    Idempotent, and safe when several processes start at once: all
    migrations run in one transaction that first takes a lock held until it
    commits, so the second process waits, then finds the schema current.
    On SQLite the lock is the database's write lock (``BEGIN IMMEDIATE``,
    waiting up to ``BUSY_TIMEOUT_MS``); SQLite and PostgreSQL both roll
    DDL back with the transaction, so a crash mid-migration leaves the old
    schema. On PostgreSQL it is a transaction-level advisory lock.
    """
    from alembic import command  # alembic: only when migrating, not on every import

    url = url or database_url()
    config = alembic_config(url)
    engine = get_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection = connection.execution_options(sqlite_begin_immediate=True)
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                   {"key": _PG_MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
