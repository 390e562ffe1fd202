"""The declarative base, the constraint naming convention and SQLite connection settings."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_LOCK_TIMEOUT = 10.0  # seconds, as SQLite's busy_timeout below
_HOLDS_WRITE_LOCK = "community_holds_write_lock"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


def configure_sqlite(engine: sa.Engine) -> None:
    """WAL, busy timeout, foreign keys; write transactions BEGIN IMMEDIATE.

    A deferred transaction that reads and then writes fails at once with
    "database is locked" when another writer got in between, whatever the
    timeout, so anything that may write takes the write lock up front.

    Writers of one process also queue on an in-process lock before BEGIN IMMEDIATE.
    SQLite's busy timeout waits in C, blocking the whole OS thread: under gevent (the
    embedded `community serve`) a second writer would freeze the very greenlet that
    holds the write lock until the timeout ran out ("database is locked"). The Python
    lock is cooperative under gevent and plain under threads; other processes (CLI
    jobs) still meet SQLite's own busy timeout.
    """
    write_lock = threading.Lock()

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):  # type: ignore[no-untyped-def]
        if has_request_context() and request.method in READ_ONLY_METHODS:
            connection.exec_driver_sql("BEGIN")
            return
        # Past the timeout go on anyway: SQLite's own busy timeout then decides.
        if write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
            connection.info[_HOLDS_WRITE_LOCK] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.info.pop(_HOLDS_WRITE_LOCK, False):
            write_lock.release()

    # SQLite does the COMMIT/ROLLBACK without yielding to another greenlet, so the
    # lock may go just before it; "checkin" covers a connection returned to the pool
    # without either (e.g. invalidated).
    sa.event.listen(engine, "commit", _release)
    sa.event.listen(engine, "rollback", _release)

    @sa.event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        if record.info.pop(_HOLDS_WRITE_LOCK, False):
            write_lock.release()
