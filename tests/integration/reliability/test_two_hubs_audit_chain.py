"""Issue 27 item 4(a): two ``lienthong serve`` processes writing to one PostgreSQL at once
keep one audit chain: every write transaction takes the chain's advisory lock before it
reads the head, so no entry is chained to a stale head and no ``seq`` is taken twice.
Checked the way an operator would, with ``lienthong audit verify``, after submissions,
fetches, receipts and acks spread over both processes."""

from __future__ import annotations

import asyncpg
import pytest
from jepsen_model import Endpoint, History, assert_exactly_once, asyncpg_dsn, burst, relay_workers
from support.hubproc import HubHome

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBMISSIONS = 120


async def test_two_processes_under_load_keep_one_verifiable_chain(
    hub_home: HubHome, pg_url: str
) -> None:
    """Both processes take submissions, receipts and acks at once; afterwards
    ``audit verify`` finds one whole chain whose entries are numbered 1..N without a gap,
    and both processes did relay work (both wrote)."""
    hubs = [hub_home.process(), hub_home.process()]
    try:
        for hub in hubs:
            await hub.start()
        urls = [h.url for h in hubs]
        history = History()
        history.plan(SUBMISSIONS, "chain")
        await burst(history, urls, hub_home.tokens, parallel=16)
        await Endpoint(history, hub_home.tokens, urls).drain(asyncpg_dsn(pg_url))
        assert_exactly_once(history, min_ok=SUBMISSIONS)
        workers = await relay_workers(asyncpg_dsn(pg_url))
        pids = (hubs[0].pids[0], hubs[1].pids[0])
        assert all(any(f":{pid}:" in w for w in workers) for pid in pids), workers
    finally:
        for hub in hubs:
            await hub.stop()
    conn = await asyncpg.connect(asyncpg_dsn(pg_url))
    try:
        query = "SELECT count(*), min(seq), max(seq) FROM audit_log"
        count, first, last = await conn.fetchrow(query)
    finally:
        await conn.close()
    # each document: accepted, queued, mailbox, delivered, receipt, acks on both sides
    assert count >= SUBMISSIONS * 5 and (first, last) == (1, count)
    assert hub_home.cli("audit", "verify").strip() == f"ok {count} entries"
