"""The hub's vacuum of its queue tables: real PostgreSQL dead rows, reclaimed; SQLite untouched."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest

from gateway.pipeline.states import RULES
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from gateway.store.vacuum import HOT_TABLES, Vacuum
from tests.support.store_builders import make_envelope

pytestmark = pytest.mark.integration

RECIPIENTS = tuple(f"000.00.{i:02d}.H01" for i in range(1, 21))


#: The tests below run on PostgreSQL only (the ``db`` fixture of ``tests/conftest.py``).
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


async def churn(store: MessageStore, messages: int = 3) -> int:
    """Accept messages, then claim and publish every outbox row: each row updated twice."""
    for _ in range(messages):
        await store.accept(make_envelope("000.00.00.H01", RECIPIENTS), list(RECIPIENTS), "hub")
    claimed = 0
    while rows := await store.claim_outbox(50, "test-vacuum", lease_seconds=60):
        await store.mark_published([r.id for r in rows])
        claimed += len(rows)
    return claimed


async def table_stats(db_url: str, table: str) -> Any:
    """The table's row in ``pg_stat_user_tables`` (read on a connection of its own)."""
    conn = await asyncpg.connect(db_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetchrow(
            "SELECT n_dead_tup, last_vacuum FROM pg_stat_user_tables WHERE relname = $1", table
        )
    finally:
        await conn.close()


async def until_vacuumed(vacuum: Vacuum, seconds: float = 20.0) -> list[str]:
    """Run passes until one vacuums something (the statistics reach the server within a
    second or so of the writes)."""
    async with asyncio.timeout(seconds):
        while not (tables := await vacuum.run_once()):
            await asyncio.sleep(0.25)
    return tables


@ON_POSTGRESQL
async def test_dead_rows_of_the_queue_tables_are_vacuumed(db: Database, db_url: str) -> None:
    """Updated outbox rows leave dead rows; a pass vacuums the table and they are gone."""
    assert await churn(MessageStore(db, rules=RULES)) == 60
    vacuum = Vacuum(db, every_seconds=10, dead_rows=50)
    tables = await until_vacuumed(vacuum)
    assert "outbox" in tables and set(tables) <= set(HOT_TABLES)
    stats = await table_stats(db_url, "outbox")
    assert stats["last_vacuum"] is not None and stats["n_dead_tup"] == 0
    assert vacuum.vacuumed == len(tables)


@ON_POSTGRESQL
async def test_tables_under_the_threshold_are_left_alone(db: Database, db_url: str) -> None:
    """Fewer dead rows than ``dead_rows``: no VACUUM runs at all."""
    await churn(MessageStore(db, rules=RULES), messages=1)
    vacuum = Vacuum(db, every_seconds=10, dead_rows=1_000_000)
    await asyncio.sleep(1.5)  # let the statistics arrive, so the threshold is what decides
    assert await vacuum.run_once() == []
    assert (await table_stats(db_url, "outbox"))["last_vacuum"] is None


@ON_POSTGRESQL
async def test_the_loop_vacuums_in_the_background_and_stops(db: Database) -> None:
    """Started, the loop vacuums on its own; stopped, it is gone."""
    await churn(MessageStore(db, rules=RULES))
    vacuum = Vacuum(db, every_seconds=0.2, dead_rows=20)
    vacuum.start()
    try:
        async with asyncio.timeout(20):
            while vacuum.vacuumed == 0:
                await asyncio.sleep(0.1)
    finally:
        await vacuum.stop()
    assert vacuum._task is None


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_sqlite_does_nothing(db: Database) -> None:
    """SQLite has no dead row versions: the vacuum is off and a pass does nothing."""
    on_sqlite = Vacuum(db, every_seconds=10, dead_rows=1)
    assert not on_sqlite.enabled and await on_sqlite.run_once() == []
    on_sqlite.start()
    assert on_sqlite._task is None


@ON_POSTGRESQL
async def test_a_zero_period_leaves_it_to_autovacuum(db: Database) -> None:
    """``vacuum_seconds = 0``: no loop on PostgreSQL either."""
    switched_off = Vacuum(db, every_seconds=0, dead_rows=1)
    switched_off.start()
    assert not switched_off.enabled and switched_off._task is None
