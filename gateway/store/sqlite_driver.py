"""aiosqlite, with SQLite calls run on the event loop's own thread unless they must wait.

aiosqlite hands every call (cursor, execute, fetch, commit, close) to a worker thread and
back: about nine thread round trips for a one-row read transaction, measured at 2.2 ms of
CPU, most of it in the hand-offs. Here calls run inline: a statement inside our own
transaction does not wait for anyone in WAL mode and takes microseconds, and a commit's
fsync about 0.3 ms here. What can wait for another *process* goes to the worker thread
only when it has to: the hub's writer connections run with ``busy_timeout=0``, so
``BEGIN IMMEDIATE`` (or ``COMMIT``) fails at once with "database is locked" when another
process holds the write lock, and is then retried on the worker thread, with short
sleeps, for up to ``busy_seconds``. (In-process writers queue on
:class:`~gateway.store.db.Database`'s lock first and never meet here.)

The SQLite connection is opened with ``check_same_thread=False``; calls on one connection
never overlap because each one is awaited before the next is made.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

__all__ = ["InlineConnection", "connect"]

#: Methods that run on the worker thread always (rare, and may take long).
_THREADED = frozenset({"close", "executescript", "backup"})
_RETRY_SLEEP = 0.002


def threaded(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """True for the calls that always leave the event loop's thread."""
    name = getattr(fn, "__name__", "")
    if name in _THREADED and not isinstance(getattr(fn, "__self__", None), sqlite3.Cursor):
        return True
    if name == "execute" and args and isinstance(args[0], str):
        return args[0].lstrip()[:8].upper().startswith(("PRAGMA", "VACUUM"))
    return False


def is_locked(exc: sqlite3.OperationalError) -> bool:
    """True for SQLITE_BUSY ("database is locked"): another connection holds the lock."""
    return "locked" in str(exc) or "busy" in str(exc)


def retry_while_locked(call: Callable[[], Any], seconds: float) -> Any:
    """Run ``call`` until it does not meet a lock, for up to ``seconds`` (worker thread)."""
    deadline = time.monotonic() + seconds
    delay = _RETRY_SLEEP
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            if not is_locked(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls skip the worker thread unless they must wait."""

    busy_seconds: float = 30.0

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if threaded(fn, args):
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not is_locked(exc):
                raise
        call = partial(fn, *args, **kwargs)
        return await super()._execute(retry_while_locked, call, self.busy_seconds)  # type: ignore[no-untyped-call]


async def connect(database: str, *, busy_seconds: float) -> InlineConnection:
    """Open ``database`` (a path, or a ``file:`` URI) for SQLAlchemy's aiosqlite dialect."""
    uri = database.startswith("file:")
    connector = partial(
        sqlite3.connect, database, timeout=busy_seconds, check_same_thread=False, uri=uri
    )
    connection = InlineConnection(connector, 64)
    connection.busy_seconds = busy_seconds
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connect
    await connection
    return connection
