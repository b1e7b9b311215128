"""One timestamp per row across processes: two real stamper processes on one PostgreSQL
claim rows atomically, so the TSA is asked once per row; a lapsed claim is taken over."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from gateway.store.db import Database
from gateway.store.models import TimestampRow, table, utcnow
from gateway.timestamps.store import TimestampStore
from tests.standins.tsa import RunningTsa, tsa_server

_T = table(TimestampRow)
ROWS = 40
PROC = Path(__file__).parents[2] / "support" / "stamper_proc.py"


@pytest.fixture
async def tsa() -> AsyncIterator[RunningTsa]:
    """A TSA that takes a little while per token (so the two stampers overlap)."""
    async with tsa_server() as running:
        running.delay = 0.02
        yield running


async def _waiting_rows(url: str, n: int) -> Database:
    db = Database(url)
    await db.upgrade()
    now = utcnow()
    rows = [
        {"subject": "audit", "ref": str(i), "message_id": None, "attempts": 0,
         "digest": hashlib.sha256(str(i).encode()).hexdigest(), "requested_at": now}
        for i in range(1, n + 1)
    ]  # fmt: skip
    async with db.session(write=True) as session:
        await session.execute(insert(_T), rows)
    return db


async def _start(db_url: str, tsa_url: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(PROC), db_url, tsa_url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.strip() == b"ready", line
    return proc


async def test_two_stamper_processes_on_postgresql_ask_once_per_row(
    pg_url: str, tsa: RunningTsa
) -> None:
    """40 waiting rows, two stamper processes started together: 40 TSA requests, each
    digest once, every row stamped, and both processes did part of the work."""
    db = await _waiting_rows(pg_url, ROWS)
    procs = [await _start(pg_url, tsa.url) for _ in range(2)]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write(b"go\n")
        await proc.stdin.drain()
    outs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    done = [int(out.split()[-1]) for out, _ in outs]
    assert sum(done) == ROWS and all(n > 0 for n in done), done
    assert tsa.issued == ROWS
    assert max(Counter(tsa.imprints).values()) == 1
    async with db.read() as session:
        tokens = (await session.execute(select(_T.c.token, _T.c.claimed_by))).all()
    assert all(t is not None and c is None for t, c in tokens)
    await db.dispose()


async def test_a_lapsed_claim_is_taken_over_and_a_live_one_is_not(sqlite_url: str) -> None:
    """A row claimed by a stamper that died is claimed again once its claim lapses; a row
    another stamper holds now is skipped."""
    db = await _waiting_rows(sqlite_url, 2)
    store = TimestampStore(db)
    held = await store.claim("alive", timedelta(minutes=5), limit=1)
    dead = await store.claim("dead", timedelta(seconds=-1), limit=1)
    assert [s.ref for s in held] == ["1"] and [s.ref for s in dead] == ["2"]
    assert [s.ref for s in await store.claim("new", timedelta(minutes=5))] == ["2"]
    await store.release("alive")
    assert [s.ref for s in await store.claim("other", timedelta(minutes=5))] == ["1"]
    await db.dispose()
