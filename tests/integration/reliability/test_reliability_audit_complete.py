"""Issue 21 item 11: the audit log records every state change a delivery goes through.

A recipient's fetch makes its delivery ``delivered``; the hub records that beside the
mailbox response, so the recipient's 01 may be recorded first (by another ``--workers``
process, or simply because the fetch was never recorded: a recipient that read the
document by id). The delivery then moves from ``queued`` to ``received`` in one step, and
the audit log must still say that it was delivered. Both stacks, over HTTP, against
``lienthong serve`` processes; the audit entries are read from the database.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from jepsen_model import RECIPIENTS, SENDERS, UNITS, Attempt, asyncpg_dsn, bearer, metadata
from support.hubproc import HubHome, HubProcess

pytestmark = [pytest.mark.integration]

SENDER, RECIPIENT = SENDERS[0], RECIPIENTS[0]


async def audit_actions(database_url: str, message_ids: list[str]) -> dict[str, list[str]]:
    """The audit log's actions on ``RECIPIENT``'s delivery of each message, in order."""
    query = "SELECT message_id, action FROM audit_log WHERE unit = {} ORDER BY seq"
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[1]
        with sqlite3.connect(path) as conn:
            rows: list[Any] = conn.execute(query.format("?"), (RECIPIENT,)).fetchall()
    else:
        conn = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            rows = await conn.fetch(query.format("$1"), RECIPIENT)
        finally:
            await conn.close()
    actions: dict[str, list[str]] = defaultdict(list)
    for message_id, action in rows:
        if message_id in message_ids:
            actions[message_id].append(action)
    return actions


async def submit(http: aiohttp.ClientSession, hub: HubProcess, subject: str) -> str:
    """Submit one document from ``SENDER`` to ``RECIPIENT``; its message id."""
    attempt = Attempt(subject, SENDER, RECIPIENT)
    async with http.post(
        f"{hub.url}/api/v1/messages",
        data=metadata(attempt),
        headers=bearer(hub.home.tokens[SENDER]),
    ) as resp:
        assert resp.status == 202, await resp.text()
        return str((await resp.json())["id"])


async def state_of(http: aiohttp.ClientSession, hub: HubProcess, message_id: str) -> str:
    """``RECIPIENT``'s delivery state, as the sender's status view shows it."""
    async with http.get(
        f"{hub.url}/api/v1/messages/{message_id}/status",
        headers=bearer(hub.home.tokens[SENDER]),
    ) as resp:
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["recipients"][0]["state"])


async def receive(http: aiohttp.ClientSession, hub: HubProcess, message_id: str) -> None:
    """``RECIPIENT`` posts 01 (received) for ``message_id``."""
    async with http.post(
        f"{hub.url}/api/v1/messages/{message_id}/receipts",
        data=json.dumps({"status": "01"}),
        headers={**bearer(hub.home.tokens[RECIPIENT]), "Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 201, await resp.text()


@pytest.fixture(params=["sqlite", "postgresql"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, pg_url: str, amqp_url: str
) -> AsyncIterator[tuple[HubProcess, str]]:
    """A running hub on the embedded stack (SQLite, local bus) or on PostgreSQL + RabbitMQ,
    and its database URL."""
    database_url, bus_url = pg_url, amqp_url
    if request.param == "sqlite":
        database_url, bus_url = f"sqlite:///{tmp_path / 'hub.db'}", "local://"
    home = HubHome(tmp_path / "home", database_url=database_url, bus_url=bus_url)
    home.provision(UNITS)
    hub = home.process()
    await hub.start()
    try:
        yield hub, database_url
    finally:
        await hub.stop()


async def test_a_01_before_any_fetch_still_audits_delivered(
    stack: tuple[HubProcess, str],
) -> None:
    """01 on a delivery that is only ``queued``: the log has ``delivery.delivered``
    (implied by the receipt) between ``delivery.queued`` and ``receipt.added``, once."""
    hub, database_url = stack
    async with aiohttp.ClientSession() as http:
        message_id = await submit(http, hub, "answered before the fetch")
        for _ in range(100):
            if await state_of(http, hub, message_id) == "queued":
                break
            await asyncio.sleep(0.1)
        assert await state_of(http, hub, message_id) == "queued"
        await receive(http, hub, message_id)
        assert await state_of(http, hub, message_id) == "received"
        async with http.get(  # a fetch now finds the delivery past delivered: no 2nd entry
            f"{hub.url}/api/v1/mailbox?wait=0", headers=bearer(hub.home.tokens[RECIPIENT])
        ) as resp:
            assert resp.status == 200
    actions = (await audit_actions(database_url, [message_id]))[message_id]
    moves = [a for a in actions if a.startswith("delivery.") or a == "receipt.added"]
    assert moves == ["delivery.queued", "delivery.delivered", "receipt.added"], actions


@pytest.mark.slow
async def test_two_workers_audit_every_delivery(tmp_path: Path, pg_url: str, amqp_url: str) -> None:
    """``serve --workers 2``: a recipient fetches and answers 01 at once, each request on a
    fresh connection (either worker); every delivery has its ``delivery.delivered``."""
    home = HubHome(tmp_path / "home", database_url=pg_url, bus_url=amqp_url)
    home.provision(UNITS)
    hub = home.process(args=["--workers", "2"])
    await hub.start()
    count = 60
    try:
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as http:
            sent = [await submit(http, hub, f"two workers {n}") for n in range(count)]
            answered: set[str] = set()
            for _ in range(300):
                async with http.get(
                    f"{hub.url}/api/v1/mailbox?wait=1&limit=50",
                    headers=bearer(home.tokens[RECIPIENT]),
                ) as resp:
                    items = (await resp.json())["items"]
                fresh = {i["message_id"] for i in items if i["kind"] == "document"} - answered
                await asyncio.gather(*(receive(http, hub, mid) for mid in fresh))
                answered |= fresh
                if len(answered) == count:
                    break
        assert answered == set(sent)
    finally:
        await hub.stop()
    actions = await audit_actions(pg_url, sent)
    missing = [mid for mid in sent if "delivery.delivered" not in actions[mid]]
    assert not missing, {mid: actions[mid] for mid in missing[:5]}
    assert all(actions[mid].count("delivery.delivered") == 1 for mid in sent)
