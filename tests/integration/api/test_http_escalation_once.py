"""An overdue notice goes out at most once on each channel, even when the process sending
it is killed between sending and recording; the webhook is signed (issue 25, items 1, 4)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from gateway.api.app import build_app
from gateway.deadlines.channels import SECRET_ENV
from gateway.store.models import AuditRow, EscalationRow, EscalationSendRow
from tests.support.api_world import A, B, World, hub_config, start_world
from tests.support.notify_targets import Hooks, Inbox, due_at_once, smtp_server, webhook_receiver

SECRET = b"a test secret, not a real one"

#: A hub process of its own that runs one escalation pass on the same database.
_CHILD = """
import asyncio, sys
from gateway.config import DeadlinesConfig
from gateway.deadlines.escalation import Escalation
from gateway.store.db import Database

async def main() -> None:
    db = Database(sys.argv[1])
    config = DeadlinesConfig(
        received="0h", completed="0h", check_seconds=0, webhook_url=sys.argv[2],
        smtp_host="127.0.0.1", smtp_port=int(sys.argv[3]),
        mail_from="lienthong@hub.example", mail_to="vanthu@prov.example",
    )
    print(len(await Escalation(db, config).run_once()), flush=True)

asyncio.run(main())
"""


@dataclass
class _Targets:
    inbox: Inbox
    port: int
    hooks: Hooks


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on an ephemeral port."""
    with smtp_server() as server:
        yield server


@pytest.fixture
async def targets(smtp: tuple[Inbox, int]) -> AsyncIterator[_Targets]:
    """The SMTP server and a webhook receiver that checks signatures with ``SECRET``."""
    async with webhook_receiver(SECRET) as hooks:
        yield _Targets(smtp[0], smtp[1], hooks)


@pytest.fixture
async def late_world(
    tmp_home: Path, backends: tuple[str, str], targets: _Targets
) -> AsyncIterator[World]:
    """A hub whose documents are due at once, told by webhook and mail, its webhook
    secret in a file of its home; passes run only when a test calls them."""
    (tmp_home / "webhook.key").write_bytes(SECRET + b"\n")
    deadlines = due_at_once(targets.port, targets.hooks.url, webhook_secret_file="webhook.key")
    config = replace(hub_config(tmp_home, *backends), deadlines=deadlines)
    hub, tokens = await start_world(config)
    try:
        async with TestClient(TestServer(build_app(hub))) as client:
            yield World(hub, client, tokens)
    finally:
        await hub.stop()


async def test_a_mail_interrupted_while_sending_is_never_sent_again(
    late_world: World, targets: _Targets, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hub process is killed (SIGKILL) while the SMTP server holds its first mail: after
    the takeover delay that mail is `unknown`, audited, not resent; the notice it never
    started goes out once; later passes send nothing."""
    world = late_world
    message_id = await world.send(subject="Báo cáo quý")
    await world.wait_state(message_id, B, {"queued"})
    monkeypatch.setenv(SECRET_ENV, SECRET.decode())  # the other process's secret
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CHILD,
        world.hub.db.url,
        targets.hooks.url,
        str(targets.port),
        stdout=asyncio.subprocess.PIPE,
    )
    targets.inbox.on_data = lambda: os.kill(child.pid, signal.SIGKILL)
    assert await asyncio.wait_for(child.wait(), 60) == -signal.SIGKILL
    assert len(targets.inbox.mails) == 1 and len(targets.hooks.posts) == 1
    first_mail = targets.inbox.mails[0]["Message-ID"]

    later = datetime.now(UTC) + timedelta(minutes=11)
    world.hub.escalation.clock = lambda: later
    retold = await world.hub.escalation.run_once()
    assert sorted(n.level for n in retold) == ["completed", "received"]
    world.hub.escalation.clock = lambda: later + timedelta(minutes=30)
    assert await world.hub.escalation.run_once() == []

    ids = [m["Message-ID"] for m in targets.inbox.mails]
    assert len(ids) == 2 and ids.count(first_mail) == 1
    assert len({p.event for p in targets.hooks.posts}) == 2 == len(targets.hooks.posts)
    async with world.hub.db.read() as session:
        sends = (await session.execute(select(EscalationSendRow))).scalars().all()
        states = sorted((s.level, s.channel, s.state) for s in sends)
        escalations = (await session.execute(select(EscalationRow))).scalars().all()
        audits = (
            await session.execute(
                select(AuditRow.action, AuditRow.detail).where(AuditRow.message_id == message_id)
            )
        ).all()
    interrupted = next(s for s in sends if s.state == "unknown")
    assert states == sorted(
        [
            (interrupted.level, "mail", "unknown"),
            (interrupted.level, "webhook", "sent"),
            *[(lv, ch, "sent") for lv in ("received", "completed") if lv != interrupted.level
              for ch in ("mail", "webhook")],
        ]
    )  # fmt: skip
    assert all(e.notified_at is not None for e in escalations) and len(escalations) == 2
    unknown = [d for a, d in audits if a == "escalation.unknown"]
    assert len(unknown) == 1 and unknown[0]["channel"] == "mail"
    notified = [d for a, d in audits if a == "escalation.notified"]
    assert len(notified) == 2
    assert {d["level"]: d["mail"] for d in notified}[interrupted.level].startswith("unknown")
    metrics = await (await world.client.get("/metrics")).text()
    assert 'lienthong_escalation_sends{channel="mail",state="unknown"} 1.0' in metrics


async def test_the_webhook_is_signed_and_verified_by_the_receiver(
    late_world: World, targets: _Targets
) -> None:
    """Each POST carries X-Lienthong-Signature, the HMAC-SHA256 of its raw body under the
    secret in the home's file, which the receiver checks; the body names the delivery."""
    world = late_world
    message_id = await world.send()
    await world.wait_state(message_id, B, {"queued"})
    await world.hub.escalation.run_once()
    posts = targets.hooks.posts
    assert len(posts) == 2 and all(p.signed and p.valid for p in posts)
    assert {(p.body["message_id"], p.body["recipient"], p.body["told"]) for p in posts} == {
        (message_id, B, A)
    }
    assert all(p.body["id"] == p.event and p.body["sent_at"] for p in posts)
    async with world.hub.db.read() as session:
        details = (await session.execute(select(EscalationSendRow.detail))).scalars().all()
    assert sorted(details) == ["sent", "sent", "sent: HTTP 204", "sent: HTTP 204"]
