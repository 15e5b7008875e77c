"""Which failures are the infrastructure's passing trouble, worth trying again.

A job that fails because the database restarted, the disk filled up for a
moment or a connection dropped has done nothing wrong: running it again
later may succeed, and it must not be treated like a refused input (a
twin's scan is not deleted because PostgreSQL was restarting). Everything
else (bad input, a bug) fails the same way every time and is not retried.
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import exc as sql

#: OSError numbers that describe the machine's state, not the request: full or
#: failing disks, exhausted descriptors or memory, a busy or stale file system.
TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN, errno.EBUSY,
                              errno.ENOMEM, errno.EMFILE, errno.ENFILE, errno.ESTALE,
                              errno.ETIMEDOUT})
#: SQLite raises OperationalError for a missing table or bad SQL too (bugs, not
#: passing trouble): only these of its messages are about the moment.
SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o error",
                    "database or disk is full", "unable to open database file")


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` (or the error it was raised from) may not happen on a retry.

    Transient: the database unreachable, locked or restarting
    (``OperationalError``, ``InterfaceError``, a pool timeout, an invalidated
    connection), a dropped or refused connection or a timeout (to the blob
    store, S3 or the broker), ``MemoryError``, and OS errors of
    ``TRANSIENT_ERRNOS``. Only explicit causes (``raise ... from``) are
    followed: an error raised while handling a transient one is its own.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, sql.OperationalError) and isinstance(error.orig, sqlite3.Error):
            return any(message in str(error.orig).lower() for message in SQLITE_TRANSIENT)
        if isinstance(error, (sql.OperationalError, sql.InterfaceError, sql.TimeoutError,
                              ConnectionError, TimeoutError, MemoryError)):
            return True
        if isinstance(error, sql.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, OSError) and error.errno in TRANSIENT_ERRNOS:
            return True
        if _is_botocore_connection_error(error):
            return True
        error = error.__cause__
    return False


def _is_botocore_connection_error(error: BaseException) -> bool:
    # By name: botocore is imported only by S3 deployments (it takes a while),
    # and its connection errors do not derive from the built-in ones.
    return any(cls.__module__ == "botocore.exceptions"
               and cls.__name__ in ("ConnectionError", "HTTPClientError")
               for cls in type(error).__mro__)
