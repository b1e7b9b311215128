"""How each backend's engine is set up (the rest of the differences: :mod:`gateway.store.dialects`).

PostgreSQL: asyncpg with a bounded pool, the most recently used connection first, and a
ping only for a connection that sat idle. SQLite: WAL with ``synchronous=FULL``, a busy
timeout, foreign keys on, writers beginning ``IMMEDIATE``, readers on ``query_only``
connections beginning deferred; file databases on :mod:`gateway.store.sqlite_driver`.
"""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gateway.store import sqlite_driver

__all__ = [
    "SQLITE_BUSY_TIMEOUT_MS",
    "ensure_parent_dir",
    "make_engine",
    "make_sqlite_engine",
    "normalise_url",
]

SQLITE_BUSY_TIMEOUT_MS = 30_000


#: A pooled connection idle longer than this is pinged before use (see ``_ping_if_idle``).
IDLE_PING_SECONDS = 2.0


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """``pool_pre_ping``, but only for connections that sat idle: a busy hub does not pay
    a round trip per transaction, and a restarted server is still noticed before use (a
    dead connection is replaced: the pool retries the checkout)."""
    now = time.monotonic()
    idle = now - record.info.get("checked_out_at", now)
    record.info["checked_out_at"] = now
    if idle > IDLE_PING_SECONDS:
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError(f"stale pooled connection: {type(exc).__name__}") from exc


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``sqlite://`` and pick the async drivers."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, is_sqlite: bool, pool_size: int, echo: bool) -> AsyncEngine:
    if not is_sqlite:
        engine = create_async_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=0,
            # the most recently used connection first: the busy few stay warm (their
            # prepared statements cached) instead of every pooled connection in turn
            pool_use_lifo=True,
            pool_timeout=10,
            pool_recycle=1800,
            connect_args={"timeout": 5, "command_timeout": 10},
        )
        event.listen(engine.sync_engine, "checkout", _ping_if_idle)
        return engine
    return make_sqlite_engine(url, echo, read_only=False)


def make_sqlite_engine(url: str, echo: bool, *, read_only: bool, pool_size: int = 5) -> AsyncEngine:
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    database = make_url(url).database
    inline = bool(database) and database != ":memory:"
    if database and inline:
        creator = partial(sqlite_driver.connect, database, busy_seconds=timeout)
        # Keep ``pool_size`` connections open: the default 5 made a busy hub's readers open
        # and close an overflow connection (a thread, five PRAGMAs, the schema read) for
        # every other long-poll, 358 of them in 6,000 documents.
        engine = create_async_engine(
            url, echo=echo, async_creator=creator, pool_size=pool_size, max_overflow=pool_size
        )
    else:
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": timeout})
    pragmas = [
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=FULL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        "PRAGMA foreign_keys=ON",
    ]
    if read_only:
        pragmas.append("PRAGMA query_only=ON")
    elif inline:
        # Fail at once on another process's lock: the driver retries off the loop thread.
        pragmas.append("PRAGMA busy_timeout=0")

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy (not the driver) emit BEGIN, so transactions and DDL behave.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    def on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: no deadlock when a reader turns writer.
        # Readers begin deferred: in WAL mode they read a snapshot and never wait.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "begin", on_begin)
    return engine


def ensure_parent_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
