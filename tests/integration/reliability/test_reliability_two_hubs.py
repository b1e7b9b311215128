"""Issue 3 part 8 (d): two hub processes on one database and one broker share the work."""

from __future__ import annotations

import pytest
from jepsen_model import Endpoint, History, assert_exactly_once, asyncpg_dsn, burst, relay_workers
from support.hubproc import HubHome

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBMISSIONS = 300


async def test_two_hub_processes_deliver_each_message_once_and_both_relay(
    hub_home: HubHome, pg_url: str
) -> None:
    """Two `serve` processes on one database/broker: each 2xx message once, both relay."""
    hubs = [hub_home.process(), hub_home.process()]
    try:
        for hub in hubs:
            await hub.start()
        urls = [h.url for h in hubs]
        history = History()
        history.plan(SUBMISSIONS, "two-hubs")
        await burst(history, urls, hub_home.tokens, parallel=20)
        await Endpoint(history, hub_home.tokens, urls).drain(asyncpg_dsn(pg_url))
        assert_exactly_once(history, min_ok=SUBMISSIONS)
        workers = await relay_workers(asyncpg_dsn(pg_url))
        by_pid = {
            pid: sum(n for w, n in workers.items() if f":{pid}:" in w)
            for pid in (hubs[0].pids[0], hubs[1].pids[0])
        }
        assert all(n > 0 for n in by_pid.values()), f"relay work per process: {workers}"
    finally:
        for hub in hubs:
            await hub.stop()
