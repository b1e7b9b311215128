"""A served hub whose documents are due at once, told by a real SMTP server and a webhook
receiver; and a hub process of its own killed while the SMTP server holds its first mail
(the escalation tests; their modules import these fixtures)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.api.app import build_app
from gateway.deadlines.channels import SECRET_ENV
from tests.support.api_world import World, hub_config, start_world
from tests.support.notify_targets import Hooks, Inbox, due_at_once, smtp_server, webhook_receiver

__all__ = ["SECRET", "Targets", "kill_while_mailing", "late_world", "smtp", "targets"]

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
class Targets:
    """The SMTP server's inbox and port, and the webhook receiver."""

    inbox: Inbox
    port: int
    hooks: Hooks


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on an ephemeral port."""
    with smtp_server() as server:
        yield server


@pytest.fixture
async def targets(smtp: tuple[Inbox, int]) -> AsyncIterator[Targets]:
    """The SMTP server and a webhook receiver that checks signatures with ``SECRET``."""
    async with webhook_receiver(SECRET) as hooks:
        yield Targets(smtp[0], smtp[1], hooks)


@pytest.fixture
async def late_world(
    tmp_home: Path, backends: tuple[str, str], targets: Targets
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


async def kill_while_mailing(world: World, targets: Targets) -> None:
    """Another hub process runs one escalation pass on the world's database and is killed
    (SIGKILL) while the SMTP server holds its first mail: that send stays ``sending``."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CHILD,
        world.hub.db.url,
        targets.hooks.url,
        str(targets.port),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, SECRET_ENV: SECRET.decode()},  # the other process's secret
    )
    targets.inbox.on_data = lambda: os.kill(child.pid, signal.SIGKILL)
    assert await asyncio.wait_for(child.wait(), 60) == -signal.SIGKILL
    assert len(targets.inbox.mails) == 1 and len(targets.hooks.posts) == 1
