"""Issue 21 item 9: PostgreSQL restarting answers 503 ``store.unavailable``, never a 500.

A restart is not an unreachable host: while the server shuts down it terminates the
sessions (``AdminShutdownError``), while it starts up it answers new connections with
``CannotConnectNowError`` ("the database system is starting up"), and SQLAlchemy wraps
those as a plain ``DBAPIError``. The server here is a private cluster of this test (the
shared one is never stopped); clients submit and read their mailboxes through several
restarts, and every answer must be a 2xx or a 503 with the documented code.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from jepsen_model import RECIPIENTS, SENDERS, UNITS, Attempt, bearer, metadata
from support.hubproc import HubHome, HubProcess
from support.pgcluster import PgCluster

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RESTARTS = 3


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    """A running private PostgreSQL cluster with a ``lienthong`` database."""
    cluster = PgCluster.create()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
async def hub(tmp_path: Path, cluster: PgCluster) -> AsyncIterator[HubProcess]:
    """A hub on the private cluster and the embedded bus, provisioned and running."""
    admin = await asyncpg.connect(cluster.dsn)
    try:
        await admin.execute("CREATE DATABASE lienthong")
    finally:
        await admin.close()
    home = HubHome(tmp_path / "home", database_url=cluster.url("lienthong"), bus_url="local://")
    home.provision(UNITS)
    process = home.process()
    await process.start()
    try:
        yield process
    finally:
        await process.stop()


async def _answers(
    http: aiohttp.ClientSession, hub: HubProcess, stop: asyncio.Event, seen: Counter[str]
) -> None:
    """Submit and read a mailbox in turn until ``stop``; count ``status code`` answers."""
    tokens = hub.home.tokens
    n = 0
    while not stop.is_set():
        n += 1
        attempt = Attempt(f"restart {n}", SENDERS[n % 2], RECIPIENTS[n % 2])
        requests = [
            ("POST", "/api/v1/messages", metadata(attempt), attempt.sender),
            ("GET", "/api/v1/mailbox?wait=0", None, attempt.recipient),
        ]
        for method, path, data, unit in requests:
            try:
                async with http.request(
                    method, hub.url + path, data=data, headers=bearer(tokens[unit])
                ) as resp:
                    body = await resp.text()
            except (aiohttp.ClientError, TimeoutError) as exc:
                seen[f"client {type(exc).__name__}"] += 1
                continue
            code = json.loads(body)["error"]["code"] if resp.status >= 400 else ""
            seen[f"{resp.status} {code}".strip()] += 1
            if resp.status == 500:
                seen[f"500 body: {body[:200]}"] += 1
            if resp.status == 503 and "Retry-After" not in resp.headers:
                seen["503 without Retry-After"] += 1


async def test_restarts_answer_503_never_500(hub: HubProcess, cluster: PgCluster) -> None:
    """Submissions and mailbox reads during PostgreSQL restarts get 2xx or 503
    ``store.unavailable`` (with Retry-After), never 500, and the hub serves again after."""
    seen: Counter[str] = Counter()
    stop = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        clients = [asyncio.create_task(_answers(http, hub, stop, seen)) for _ in range(6)]
        for _ in range(RESTARTS):
            await asyncio.sleep(1.0)
            await asyncio.to_thread(cluster.restart)
        await asyncio.sleep(1.0)
        stop.set()
        await asyncio.gather(*clients)
        unexpected = {k: v for k, v in seen.items() if not k.startswith(("2", "503 "))}
        assert not unexpected, (seen, hub.log_tail())
        assert seen["503 store.unavailable"] > 0, seen
        assert set(k for k in seen if k.startswith("503")) == {"503 store.unavailable"}, seen
        attempt = Attempt("after the restarts", SENDERS[0], RECIPIENTS[0])
        async with http.post(
            hub.url + "/api/v1/messages",
            data=metadata(attempt),
            headers=bearer(hub.home.tokens[SENDERS[0]]),
        ) as resp:
            assert resp.status == 202, await resp.text()
