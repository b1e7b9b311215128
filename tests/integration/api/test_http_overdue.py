"""Overdue deliveries on both backends: shown in the status view and /metrics, told once
(sender's mailbox, a webhook, a real SMTP server), then the sender's parent, however many
hub processes run the pass (issue 25, item 4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from gateway.api.app import build_app
from gateway.hub import Hub
from gateway.store.models import AuditRow, EscalationRow
from tests.support.api_world import PROV, A, B, World, hub_config, start_world
from tests.support.notify_targets import Hooks, Inbox, due_at_once, smtp_server, webhook_receiver


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on an ephemeral port (aiosmtpd)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
async def webhook() -> AsyncIterator[Hooks]:
    """A webhook receiver over HTTP (no secret: the hub posts unsigned)."""
    async with webhook_receiver() as hooks:
        yield hooks


@pytest.fixture
async def late_world(
    tmp_home: Path,
    backends: tuple[str, str],
    smtp: tuple[Inbox, int],
    webhook: Hooks,
) -> AsyncIterator[World]:
    """A hub whose documents are due at once (0h), told by webhook and mail; passes run
    only when a test calls them."""
    deadlines = due_at_once(smtp[1], webhook.url, parent_after_hours=1)
    config = replace(hub_config(tmp_home, *backends), deadlines=deadlines)
    hub, tokens = await start_world(config)
    try:
        async with TestClient(TestServer(build_app(hub))) as client:
            yield World(hub, client, tokens)
    finally:
        await hub.stop()


async def test_overdue_is_shown_and_told_once_then_to_the_parent(
    late_world: World, smtp: tuple[Inbox, int], webhook: Hooks
) -> None:
    """Two hub processes run the pass at once: A is told once per due time missed (notice,
    webhook, mail), audited; an hour later PROV (A's parent) is told; nothing twice."""
    world = late_world
    message_id = await world.send(subject="Báo cáo tháng")
    await world.wait_state(message_id, B, {"queued"})
    status = await (
        await world.client.get(f"/api/v1/messages/{message_id}/status", headers=world.auth(A))
    ).json()
    assert status["recipients"][0]["overdue"] == ["received", "completed"]
    assert status["due_received_at"] is not None

    other = Hub(world.hub.config, relay=False, consume=False)
    await other.start(upgrade=False)
    try:
        first = await asyncio.gather(world.hub.escalation.run_once(), other.escalation.run_once())
        told = sorted((n.level, n.unit) for notices in first for n in notices)
        assert told == [("completed", A), ("received", A)]
        assert await other.escalation.run_once() == []
        later = datetime.now(UTC) + timedelta(hours=2)
        other.escalation.clock = world.hub.escalation.clock = lambda: later
        second = await asyncio.gather(world.hub.escalation.run_once(), other.escalation.run_once())
        told = sorted((n.level, n.unit) for notices in second for n in notices)
        assert told == [("parent_completed", PROV), ("parent_received", PROV)]
        assert await world.hub.escalation.run_once() == []
    finally:
        await other.stop()

    notices = [i for i in await world.mailbox(A, wait=0) if i["kind"] == "notice"]
    assert len(notices) == 2 and all(i["message_id"] == message_id for i in notices)
    assert all(i["sender"] == B and "Quá hạn" in i["subject"] for i in notices)
    assert len([i for i in await world.mailbox(PROV, wait=0) if i["kind"] == "notice"]) == 2
    assert sorted(p.body["level"] for p in webhook.posts) == [
        "completed", "parent_completed", "parent_received", "received"
    ]  # fmt: skip
    assert len(smtp[0].mails) == 4
    assert all(m["To"] == "vanthu@prov.example" for m in smtp[0].mails)
    async with world.hub.db.read() as session:
        rows = (await session.execute(select(EscalationRow))).scalars().all()
        assert len(rows) == 4 and all(r.notified_at is not None for r in rows)
        actions = (
            (
                await session.execute(
                    select(AuditRow.action).where(AuditRow.message_id == message_id)
                )
            )
            .scalars()
            .all()
        )
    assert actions.count("delivery.overdue") == 4 and actions.count("escalation.notified") == 4
    listed = await (
        await world.client.get("/api/v1/overdue", headers=world.auth("operator"))
    ).json()
    assert [(i["message_id"], i["recipient"]) for i in listed["items"]] == [(message_id, B)]
    metrics = await (await world.client.get("/metrics")).text()
    assert 'lienthong_overdue_deliveries{due="received"} 1.0' in metrics


async def test_answered_and_revoked_deliveries_are_not_overdue(late_world: World) -> None:
    """B's 01 ends "received" (late, not overdue); a revoked document is never overdue."""
    world = late_world
    answered = await world.send()
    revoked = await world.send()
    for mid in (answered, revoked):
        await world.wait_state(mid, B, {"queued"})
    resp = await world.client.post(
        f"/api/v1/messages/{answered}/receipts", json={"status": "01"}, headers=world.auth(B)
    )
    assert resp.status == 201
    await world.send(kind="revoke", refers_to=revoked)
    status = await (
        await world.client.get(f"/api/v1/messages/{answered}/status", headers=world.auth(A))
    ).json()
    mine = status["recipients"][0]
    assert mine["overdue"] == ["completed"] and mine["late"] == ["received"]
    status = await (
        await world.client.get(f"/api/v1/messages/{revoked}/status", headers=world.auth(A))
    ).json()
    assert status["recipients"][0]["overdue"] == []
    notices = await world.hub.escalation.run_once()
    assert {(n.message_id, n.level) for n in notices if n.level in ("received", "completed")} >= {
        (answered, "completed")
    }
    assert all(n.message_id != revoked for n in notices)
    assert not any(n.message_id == answered and n.level == "received" for n in notices)
