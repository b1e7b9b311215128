"""Issue 21 item 12: a hub restarted after ``kill -9`` reclaims its dead leases at once.

The relay leases outbox rows for 30 s while it publishes them. A hub killed with rows
leased used to leave them to wait for the lease to run out, so after a restart everything
it had claimed arrived only ~30 s later. Here the broker is reached through a TCP proxy
that swallows every byte (no confirm ever comes), so the killed hub surely holds leases;
the restarted one (same host, new pid, the proxy passing again) must publish those rows
within seconds, long before the leases would have run out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from jepsen_model import RECIPIENTS, SENDERS, UNITS, Attempt, asyncpg_dsn, bearer, metadata
from support.hubproc import HubHome, HubProcess
from support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STUCK = 5  # documents submitted while the broker swallows everything
RECLAIMED_WITHIN = 10.0  # seconds after the restart (the lease is 30 s)


@pytest.fixture
async def broker_proxy() -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the test broker."""
    proxy = TcpProxy("127.0.0.1", 5672)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


async def leased(dsn: str) -> list[asyncpg.Record]:
    """Unpublished outbox rows: who holds them and until when."""
    conn = await asyncpg.connect(dsn)
    try:
        return list(
            await conn.fetch(
                "SELECT id, claimed_by, claimed_until FROM outbox WHERE published_at IS NULL"
            )
        )
    finally:
        await conn.close()


async def submit(http: aiohttp.ClientSession, hub: HubProcess, n: int) -> None:
    """One document from the first sender to the first recipient (202)."""
    attempt = Attempt(f"lease {n}", SENDERS[0], RECIPIENTS[0])
    async with http.post(
        f"{hub.url}/api/v1/messages",
        data=metadata(attempt),
        headers=bearer(hub.home.tokens[SENDERS[0]]),
    ) as resp:
        assert resp.status == 202, await resp.text()


async def test_restart_reclaims_the_killed_hubs_leases_at_once(
    tmp_path: Path, pg_url: str, amqp_url: str, broker_proxy: TcpProxy
) -> None:
    """Rows leased to a SIGKILLed hub are published within seconds of its restart, before
    their leases run out, and each document reaches its mailbox."""
    proxied = amqp_url.replace(":5672/", f":{broker_proxy.port}/", 1)
    home = HubHome(tmp_path / "home", database_url=pg_url, bus_url=proxied)
    home.provision(UNITS)
    hub = home.process()
    dsn = asyncpg_dsn(pg_url)
    await hub.start()
    try:
        async with aiohttp.ClientSession() as http:
            broker_proxy.blackhole()
            for n in range(STUCK):
                await submit(http, hub, n)
            dead = f":{hub.proc.pid}:" if hub.proc else "?"
            held: list[asyncpg.Record] = []
            for _ in range(50):  # the relay has claimed a batch and waits for its confirms
                held = [r for r in await leased(dsn) if dead in (r["claimed_by"] or "")]
                if held:
                    break
                await asyncio.sleep(0.1)
            assert held, "the hub holds no lease"
            hub.kill()
            lease_ends = min(r["claimed_until"] for r in held)
            broker_proxy.resume()
            await hub.start()
            restarted = time.monotonic()
            while await leased(dsn) and time.monotonic() - restarted < RECLAIMED_WITHIN:
                await asyncio.sleep(0.2)
            assert await leased(dsn) == [], hub.log_tail()
            assert datetime.now(UTC) < lease_ends, "published only when the leases ran out"
            async with http.get(
                f"{hub.url}/api/v1/mailbox?wait=5&limit=50",
                headers=bearer(home.tokens[RECIPIENTS[0]]),
            ) as resp:
                subjects = {i["subject"] for i in (await resp.json())["items"]}
            assert subjects == {f"lease {n}" for n in range(STUCK)}
            assert "hub.leases_reclaimed" in hub.log_path.read_text(encoding="utf-8")
    finally:
        await hub.stop()
