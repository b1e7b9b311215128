"""The lineage snapshot is read once for all the requests that find it stale together
(issue 27 item 2: every request asks it, and under load each used to read it), and a
change made meanwhile is never hidden behind a read begun before it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway.directory import lineage as lineage_module
from gateway.directory.lineage import Lineage, LineageSnapshot
from gateway.store.db import Database

pytestmark = pytest.mark.integration


class CountedReads:
    """``read_snapshot`` on the real database, counting calls; ``gate`` holds them."""

    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.real = lineage_module.read_snapshot

    async def __call__(self, db: Database) -> LineageSnapshot:
        self.calls += 1
        await self.gate.wait()
        return await self.real(db)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> CountedReads:
    """Every lineage read of the test, counted."""
    counted = CountedReads()
    monkeypatch.setattr(lineage_module, "read_snapshot", counted)
    return counted


async def test_stale_callers_at_once_share_one_read(db: Any, reads: CountedReads) -> None:
    """Thirty callers at once on a cold snapshot: one read; within the second, none."""
    lineage = Lineage(db)
    await asyncio.gather(*(lineage.active("000.00.01.H01") for _ in range(30)))
    assert reads.calls == 1
    await lineage.handed_to("000.00.01.H01")
    assert reads.calls == 1


async def test_forget_during_a_read_reads_again(db: Any, reads: CountedReads) -> None:
    """A change (``forget``) while a read is under way: that read does not count as
    fresh, so the next caller reads again."""
    lineage = Lineage(db)
    reads.gate.clear()
    first = asyncio.create_task(lineage.snapshot())
    await asyncio.sleep(0.05)
    lineage.forget()
    reads.gate.set()
    await first
    await lineage.snapshot()
    assert reads.calls == 2
