"""The database wrapper: migrations, SQLite durability settings, unavailability."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from gateway.errors import StoreUnavailable
from gateway.store.db import Database
from gateway.store.migrations import HEAD
from gateway.store.models import Base
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(db: Any) -> None:
    """After upgrade the schema equals the models (no autogenerate diff); upgrade is repeatable."""
    await db.upgrade()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == HEAD
    assert await db.ping() is True


_PRAGMAS = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "query_only")


async def test_sqlite_is_durable_and_strict(sqlite_url: str) -> None:
    """SQLite runs in WAL with synchronous=FULL and foreign keys; readers are query-only."""
    db = Database(sqlite_url)
    await db.upgrade()
    try:
        async with db.session() as session:
            writer = [(await session.execute(text(f"PRAGMA {p}"))).scalar_one() for p in _PRAGMAS]
        async with db.read() as session:
            reader = [(await session.execute(text(f"PRAGMA {p}"))).scalar_one() for p in _PRAGMAS]
            with pytest.raises(OperationalError, match=r"readonly|read-only|query_only"):
                await session.execute(text("DELETE FROM units"))
    finally:
        await db.dispose()
    # The writer fails fast on another process's lock (the driver then waits off the
    # event loop's thread); the reader waits in SQLite's busy handler, rarely needed in WAL.
    assert writer == ["wal", 2, 1, 0, 0]
    assert reader == ["wal", 2, 1, 30000, 1]


async def test_sqlite_readers_stay_open_between_bursts(sqlite_url: str) -> None:
    """A burst of readers up to the pool size opens no new connection the second time."""
    db = Database(sqlite_url, pool_size=12)
    await db.upgrade()
    assert db._reader_engine is not None
    opened = 0

    def count(*_: Any) -> None:
        nonlocal opened
        opened += 1

    event.listen(db._reader_engine.sync_engine, "connect", count)
    release = asyncio.Event()

    async def reader() -> None:
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
            await release.wait()

    per_burst = []
    try:
        for _ in range(2):
            release.clear()
            burst = [asyncio.create_task(reader()) for _ in range(12)]
            await asyncio.sleep(0.2)
            release.set()
            await asyncio.gather(*burst)
            per_burst.append(opened)
    finally:
        await db.dispose()
    assert per_burst == [12, 12]


async def test_sqlite_writer_waits_for_another_process_off_the_loop(sqlite_url: str) -> None:
    """While another connection holds the write lock, a write session waits for it without
    blocking the event loop, then commits."""
    db = Database(sqlite_url)
    await db.upgrade()
    path = make_url(db.url).database
    assert path
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with db.session(write=True) as session:
            await session.execute(
                text("INSERT INTO units (code, name, created_at) VALUES ('X.1', 'x', '2026-01-01')")
            )

    tick_task = asyncio.create_task(ticker())
    try:
        writing = asyncio.create_task(write())
        await asyncio.sleep(0.5)
        assert not writing.done()  # still waiting for the other connection's lock
        assert ticks >= 20  # ...and the loop kept running meanwhile
        other.execute("COMMIT")
        await asyncio.wait_for(writing, 10)
        async with db.read() as session:
            count = await session.scalar(text("SELECT count(*) FROM units WHERE code = 'X.1'"))
        assert count == 1
    finally:
        tick_task.cancel()
        other.close()
        await db.dispose()


async def test_unreachable_database_is_store_unavailable() -> None:
    """No server at the address: sessions raise store.unavailable, ping is False."""
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        assert await db.ping() is False
        with pytest.raises(StoreUnavailable) as info:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        assert info.value.code == "store.unavailable" and info.value.http_status == 503
    finally:
        await db.dispose()


async def test_recovers_after_the_connection_is_cut(pg_url: str) -> None:
    """A cut connection gives store.unavailable, then works again without a restart."""
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    db = Database(pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    try:
        await db.upgrade()
        assert await db.ping()
        proxy.down()
        with pytest.raises(StoreUnavailable):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        proxy.resume()
        async with db.session() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await db.dispose()
        await proxy.close()


def test_head_names_alembics_newest_revision() -> None:
    """``migrations.HEAD`` is Alembic's head: a database there is not upgraded again."""
    from alembic.script import ScriptDirectory

    from gateway.store.migrations import HEAD, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD


async def test_revision_is_none_before_the_first_upgrade(db_url: str) -> None:
    """An empty database has no revision; after ``upgrade`` it is at ``HEAD``."""
    from gateway.store.migrations import HEAD

    db = Database(db_url)
    try:
        assert await db.revision() is None
        await db.upgrade()
        assert await db.revision() == HEAD
        await db.upgrade()  # at head: nothing to do
        assert await db.revision() == HEAD
    finally:
        await db.dispose()


async def test_a_documents_fetch_and_ack_marks_probe_the_unique_index(sqlite_url: str) -> None:
    """Marking a document fetched or acked finds its item by (unit, kind, ref), no scan."""
    from gateway.store import fetch_ack

    db = Database(sqlite_url)
    await db.upgrade()
    try:
        async with db.read() as session:
            plans = []
            for prepared in (fetch_ack._FETCHED, fetch_ack._ACKED_DOCUMENT):
                compiled = prepared.statement.compile(dialect=db.engine.dialect)
                values = compiled.construct_params(_MARK_PARAMS)
                args = tuple(values[name] for name in compiled.positiontup or ())
                conn = await session.connection()
                rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args)
                plans.append(" ".join(str(row[-1]) for row in rows))
    finally:
        await db.dispose()
    for plan in plans:
        assert "(unit=? AND kind=? AND ref=?)" in plan, plan


_MARK_PARAMS = {"unit": "000.00.01.H01", "mid": "m-1", "now": "2026-11-25 00:00:00"}
