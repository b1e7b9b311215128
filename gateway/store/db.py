"""The database: one async engine, sessions that are one transaction, Alembic upgrades.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` so that a 2xx
means the commit is on disk, a busy timeout, foreign keys on, and every transaction opened
with ``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half way.
Inside one process, writers queue on an :class:`asyncio.Lock` before ``BEGIN IMMEDIATE``
(SQLite's own busy handler polls with sleeps of up to 100 ms, which under load costs far
more than the work), and :meth:`Database.read` runs on separate ``query_only``
connections with a deferred ``BEGIN``: in WAL mode readers never wait for the writer.
PostgreSQL runs on asyncpg with a bounded pool and ``pool_pre_ping`` so a restarted server
is picked up again without restarting the hub.

Connection failures become :class:`~gateway.errors.StoreUnavailable` (``store.unavailable``,
503) at this boundary; integrity errors and the like pass through untouched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from sqlalchemy import BigInteger, String, column, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from gateway.errors import GatewayError, StoreUnavailable
from gateway.store import dialects, engines, migrations, prepared
from gateway.store.deadline import bounded
from gateway.store.engines import SQLITE_BUSY_TIMEOUT_MS
from gateway.store.prepared import Prepared

__all__ = [
    "BEFORE_COMMIT",
    "LOCKED_HEAD",
    "LOCK_WRITES",
    "WRITE_LOCK",
    "WRITE_LOCKED",
    "Database",
    "execute",
    "is_unavailable",
]

#: A lock key for migrations so two hub processes never upgrade at once.
_MIGRATION_LOCK = 0x4C54_0001
#: The audit chain's advisory lock (the same key :mod:`gateway.store.audit` takes to append).
#: Every writing transaction takes it first, so row locks are only ever taken by its holder.
WRITE_LOCK = 0x4C54_A0D1
#: How long a PostgreSQL writer queues in this process before ``store.unavailable``.
WRITE_QUEUE_SECONDS = 10.0
#: ``session.info`` key: this transaction holds ``WRITE_LOCK`` already.
WRITE_LOCKED = "write_locked"
_CONNECTION = "core_connection"
_DRIVER = "driver_connection"
#: Called with every session of :class:`Database` just before it commits (the audit log
#: inserts the entries of the transaction here).
BEFORE_COMMIT: list[Callable[[AsyncSession], Awaitable[None]]] = []
#: The audit chain's advisory lock, taken as the first statement of a write transaction.
LOCK_WRITES = Prepared(text("SELECT pg_advisory_xact_lock(:k)"))
#: The same lock and then the chain's head (``seq``, ``hash``; no row when it is empty), in
#: one round trip (the function of migration 0002).
LOCK_WRITES_AND_HEAD = Prepared(
    text("SELECT seq, hash FROM lienthong_write_lock(:k)").columns(
        column("seq", BigInteger), column("hash", String)
    )
)
#: ``session.info`` key: the audit chain's head as the write lock found it, ``(seq, hash)``
#: (``hash`` None: the chain is empty).
LOCKED_HEAD = "locked_audit_head"


async def execute(session: AsyncSession, statement: Any, params: Any = None) -> Any:
    """Run a Core statement on the session's connection, in its transaction.

    ``AsyncSession.execute`` builds an ORM execution context around every statement, Core
    ones too: measured at about 3× the CPU of the statement on its connection. The hot
    write paths hold no ORM objects, so they skip it. A :class:`Prepared` statement goes
    further and runs on the driver itself (:mod:`gateway.store.prepared`); its result has
    ``first()``, ``all()``, ``rowcount`` and iteration, like a ``CursorResult``.
    """
    connection: AsyncConnection | None = session.info.get(_CONNECTION)
    if connection is None:
        connection = session.info[_CONNECTION] = await session.connection()
    if isinstance(statement, Prepared):
        driver = session.info.get(_DRIVER)
        if driver is None:
            adapter = (await connection.get_raw_connection()).dbapi_connection
            driver = session.info[_DRIVER] = (prepared.driver_of(adapter) or "", adapter)
        if driver[0]:
            return await prepared.run(connection, driver[1], driver[0], statement, params)
        statement = statement.statement
    return await connection.execute(statement, params)


@contextmanager
def _unavailable_as_store_error(*, detail: bool = False) -> Iterator[None]:
    """Connection failures inside the block come out as ``StoreUnavailable`` (naming the
    error's type, or with ``detail`` its text: for startup, not for API answers); anything
    else (our own errors, integrity errors) passes through untouched."""
    try:
        yield
    except GatewayError:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            reason = str(exc) if detail else type(exc).__name__
            raise StoreUnavailable(f"database unavailable: {reason}") from exc
        raise


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` means "the database cannot be reached (now)".

    The driver's own error may sit under SQLAlchemy's wrapper (``DBAPIError.orig``, and the
    adapter's error's ``__cause__``): a server that is starting up, shutting down or
    restarting answers with an error of its own (``CannotConnectNowError``,
    ``AdminShutdownError``…) that SQLAlchemy wraps as a plain ``DBAPIError``.
    """
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        error = pending.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if _unavailable_itself(error):
            return True
        pending += [getattr(error, "orig", None), error.__cause__, error.__context__]
    return False


def _unavailable_itself(exc: BaseException) -> bool:
    """:func:`is_unavailable` for one error of the chain."""
    if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout, OSError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    try:
        import asyncpg  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - asyncpg is a dependency
        return False
    if isinstance(exc, asyncpg.InterfaceError):
        return "closed" in str(exc)  # "connection is closed"; others are our mistakes
    return isinstance(exc, _asyncpg_unavailable(asyncpg))


def _asyncpg_unavailable(asyncpg: Any) -> tuple[type[BaseException], ...]:
    """asyncpg's errors that say the server cannot serve now: connection failures (class
    08), a server starting up, shutting down or crashed (57P01-57P03), too many clients."""
    found = asyncpg.exceptions
    return (
        asyncpg.PostgresConnectionError,
        found.CannotConnectNowError,
        found.AdminShutdownError,
        found.CrashShutdownError,
        found.TooManyConnectionsError,
    )


class Database:
    """An async SQLAlchemy engine for ``url`` (``sqlite+aiosqlite://`` or ``postgresql+asyncpg://``)."""

    def __init__(self, url: str, *, pool_size: int = 20, echo: bool = False) -> None:
        self.url = engines.normalise_url(url)
        #: What this backend does its own way in the store's statements.
        self.dialect = dialects.named(make_url(self.url).get_backend_name())
        self.is_sqlite = self.dialect is dialects.SQLITE
        if self.is_sqlite:
            engines.ensure_parent_dir(self.url)
        self.engine: AsyncEngine = engines.make_engine(self.url, self.is_sqlite, pool_size, echo)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._readers = self._sessions
        self._reader_engine: AsyncEngine | None = None
        self._write_lock: asyncio.Lock | None = None
        if self.is_sqlite:
            self._reader_engine = engines.make_sqlite_engine(
                self.url, echo, read_only=True, pool_size=pool_size
            )
            self._reading: AsyncEngine = self._reader_engine
        else:
            # Reads in autocommit: no BEGIN and COMMIT round trips (each statement sees
            # the latest committed state; what a reader reads does not change once written).
            self._reading = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._readers = async_sessionmaker(self._reading, expire_on_commit=False)

    @property
    def is_postgresql(self) -> bool:
        """True on PostgreSQL (row locks, advisory locks, ``SKIP LOCKED``)."""
        return not self.is_sqlite

    @asynccontextmanager
    async def session(self, *, write: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction: commit when the block ends, roll back if it raises.

        ``write=True`` for a transaction that changes state (and appends to the audit
        chain): on PostgreSQL its first statement takes the audit advisory lock, so every
        writer takes its locks in one order (advisory lock, then rows) and writers can
        never deadlock on each other. (SQLite's ``BEGIN IMMEDIATE`` is that lock already.)
        Within one process writers first queue on an :class:`asyncio.Lock` (on SQLite every
        session does), so at most one pooled connection per process waits for the database
        lock and readers always find a free connection.
        Connection failures inside the block come out as ``StoreUnavailable``.
        """
        if self.is_sqlite:
            async with self._writer(), self._transaction(self._sessions) as session:
                yield session
            return
        if not write:
            async with self._transaction(self._sessions) as session:
                yield session
            return
        with _unavailable_as_store_error():
            # the request's bound covers the wait for this process's turn too
            async with bounded(), self._writer(), self._transaction(self._sessions) as session:
                head = (await execute(session, LOCK_WRITES_AND_HEAD, {"k": WRITE_LOCK})).first()
                session.info[WRITE_LOCKED] = True
                session.info[LOCKED_HEAD] = (head.seq, head.hash) if head else (0, None)
                yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """One transaction that only reads (on SQLite a ``query_only`` connection that
        never queues behind writers; on PostgreSQL the same as :meth:`session`)."""
        async with self._transaction(self._readers) as session:
            yield session

    async def query(self, statement: Prepared, params: Any = None, *, write: bool = False) -> Any:
        """One prepared statement, without a session around it: the cheapest read (for the
        hot single-statement reads such as mailbox long-polls). ``write=True`` for a single
        statement that changes rows but appends nothing to the audit chain (the outbox
        claim): on PostgreSQL it runs in autocommit (the statement is its own
        transaction), on SQLite in a write transaction."""
        if write and self.is_sqlite:
            async with self.session(write=True) as session:
                return await execute(session, statement, params)
        with _unavailable_as_store_error():
            async with bounded(), self._reading.connect() as connection:
                adapter = (await connection.get_raw_connection()).dbapi_connection
                driver = prepared.driver_of(adapter)
                if driver is None:
                    return await connection.execute(statement.statement, params)
                return await prepared.run(connection, adapter, driver, statement, params)

    @asynccontextmanager
    async def _writer(self) -> AsyncIterator[None]:
        """This process's turn to write; ``store.unavailable`` after waiting too long (a
        writer stuck on an unreachable database must not hold the others for ever)."""
        if self._write_lock is None:
            self._write_lock = asyncio.Lock()
        wait = SQLITE_BUSY_TIMEOUT_MS / 1000 if self.is_sqlite else WRITE_QUEUE_SECONDS
        try:
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StoreUnavailable(f"no turn to write within {wait:g}s") from None
        try:
            yield
        finally:
            self._write_lock.release()

    @asynccontextmanager
    async def _transaction(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        with _unavailable_as_store_error():
            async with bounded(), sessions() as session, session.begin():
                yield session
                for hook in BEFORE_COMMIT:
                    await hook(session)

    async def ping(self) -> bool:
        """True when a trivial query succeeds (readiness); never raises."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def upgrade(self, revision: str = "head") -> None:
        """Run the Alembic migrations up to ``revision`` (safe with several processes).

        A database already at the newest revision is left alone without loading Alembic
        (what every restart of the hub finds)."""
        if revision == "head" and await self.revision() == migrations.HEAD:
            return
        with _unavailable_as_store_error(detail=True):
            async with self.engine.begin() as conn:
                if self.is_postgresql:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK}
                    )
                await conn.run_sync(_run_alembic_upgrade, revision)

    async def revision(self) -> str | None:
        """The schema revision the database is at (``None``: not migrated, or unreachable)."""
        try:
            async with self.engine.connect() as conn:
                found = await conn.execute(text("SELECT version_num FROM alembic_version"))
                return found.scalar_one_or_none()
        except Exception:
            return None

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self._reader_engine is not None:
            await self._reader_engine.dispose()


def _run_alembic_upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    from gateway.store.migrations import alembic_config

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
