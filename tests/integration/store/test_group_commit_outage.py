"""The write lane when PostgreSQL goes silent: writes queued behind a turn that meets the
outage get ``store.unavailable`` with that turn, not one database timeout each."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import StoreUnavailable
from gateway.store.db import Database
from gateway.store.group_commit import GroupCommit
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


@pytest.fixture
async def proxied(pg_url: str) -> AsyncIterator[tuple[Database, TcpProxy]]:
    """A migrated database reached through a TCP proxy that can go silent."""
    direct = Database(pg_url)
    await direct.upgrade()
    await direct.dispose()
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    database = Database(pg_url.replace(":5432/", f":{proxy.port}/", 1))
    try:
        yield database, proxy
    finally:
        proxy.resume()
        await database.dispose()
        await proxy.close()


async def _select(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT 1"))).scalar_one())


async def test_writes_queued_behind_an_outage_fail_with_its_turn(
    proxied: tuple[Database, TcpProxy],
) -> None:
    """A blackholed database: the turn under way and the five writes queued behind it all
    get store.unavailable when that turn gives up, within a second of each other; once the
    database is back the next write succeeds."""
    database, proxy = proxied
    lane = GroupCommit(database)

    async def alone() -> int:
        async with database.session(write=True) as session:
            return await _select(session)

    assert await lane.write(_select, alone) == 1  # a pooled connection, known to work
    proxy.blackhole()
    ended: list[float] = []

    async def one() -> StoreUnavailable | int:
        try:
            return await lane.write(_select, alone)
        except StoreUnavailable as exc:
            return exc
        finally:
            ended.append(time.monotonic())

    first = asyncio.create_task(one())
    await asyncio.sleep(0.3)  # the first turn is waiting on the silent database
    queued = [asyncio.create_task(one()) for _ in range(5)]
    results = await asyncio.gather(first, *queued)
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    assert max(ended) - min(ended) < 1.0, "queued writes waited out a turn of their own"
    proxy.resume()
    assert await lane.write(_select, alone) == 1
