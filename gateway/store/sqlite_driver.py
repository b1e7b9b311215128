"""aiosqlite, with the calls that cannot wait run on the event loop's own thread.

aiosqlite hands every call (cursor, execute, fetch, close) to a worker thread and back:
about nine thread round trips for a one-row read transaction, which measured at 2.2 ms
of CPU, most of it in the hand-offs. Here only the calls that can block go to the worker
thread: ``BEGIN IMMEDIATE`` (it may wait for another process's write lock), ``COMMIT``
(fsync, checkpoints) and closing. Everything else runs inline: inside our own transaction
(in-process writers queue on :class:`~gateway.store.db.Database`'s lock first) a
statement does not wait for anyone in WAL mode, and takes microseconds.

The SQLite connection is opened with ``check_same_thread=False``; calls on one connection
never overlap because each one is awaited before the next is made.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite

__all__ = ["InlineConnection", "connect"]

#: Methods of the sqlite3 connection that may wait for a lock or the disk.
_BLOCKING = frozenset({"commit", "close", "executescript", "backup"})


def may_block(fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
    """True for the calls that must leave the event loop's thread."""
    name = getattr(fn, "__name__", "")
    if name in _BLOCKING and not isinstance(getattr(fn, "__self__", None), sqlite3.Cursor):
        return True
    if name == "execute" and args and isinstance(args[0], str):
        head = args[0].lstrip()[:32].upper()
        return head.startswith(("BEGIN IMMEDIATE", "BEGIN EXCLUSIVE", "PRAGMA", "VACUUM"))
    return False


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose non-blocking calls skip the worker thread."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if may_block(fn, args):
            return await super()._execute(fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        return fn(*args, **kwargs)


async def connect(database: str, *, busy_seconds: float) -> InlineConnection:
    """Open ``database`` (a path, or a ``file:`` URI) for SQLAlchemy's aiosqlite dialect."""
    uri = database.startswith("file:")
    connector = partial(
        sqlite3.connect, database, timeout=busy_seconds, check_same_thread=False, uri=uri
    )
    connection = InlineConnection(connector, 64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connect
    await connection
    return connection
