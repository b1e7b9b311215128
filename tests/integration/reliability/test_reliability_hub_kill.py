"""Issue 3 part 8 (a): `kill -9` the hub during a burst of 1,000 submissions, restart it."""

from __future__ import annotations

import asyncio

import pytest
from jepsen_model import Endpoint, History, assert_exactly_once, asyncpg_dsn, burst
from support.hubproc import HubHome

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBMISSIONS = 1000
KILL_AFTER = 400  # 2xx answers before the SIGKILL


async def test_hub_sigkill_during_burst_loses_and_duplicates_nothing(
    hub_home: HubHome, pg_url: str
) -> None:
    """SIGKILL mid-burst, restart: every 2xx message delivered once, receipts once."""
    hub = hub_home.process()
    killed = asyncio.Event()

    def kill_at(accepted: int) -> None:
        if accepted == KILL_AFTER and not killed.is_set():
            hub.kill()
            killed.set()

    async def restart() -> None:
        await killed.wait()
        await hub.start()

    try:
        await hub.start()
        history = History()
        history.plan(SUBMISSIONS, "kill9")
        restarter = asyncio.create_task(restart())
        await burst(history, [hub.url], hub_home.tokens, parallel=20, on_accepted=kill_at)
        await restarter
        assert len(hub.pids) == 2, "the hub was not killed and restarted"
        await Endpoint(history, hub_home.tokens, [hub.url]).drain(asyncpg_dsn(pg_url))
        verdict = assert_exactly_once(history, min_ok=KILL_AFTER)
        assert verdict["ok"] + verdict["unknown"] == SUBMISSIONS, verdict
        print("verdict", verdict)  # shown with -s or on failure
    finally:
        await hub.stop()
