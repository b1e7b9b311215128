"""Issue 3 part 8 (b): restart RabbitMQ during a burst of submissions.

The hub runs on a private RabbitMQ node of its own (``support.private_rabbit``), never the
shared broker. The node is restarted with ``rabbitmqctl stop_app`` / ``start_app``:
stopping the app closes every connection exactly as a broker crash does for the hub (its
connections drop, publishes go unconfirmed, queued messages survive on disk) while the
Erlang node stays up, so it comes back in seconds. ``start_app`` always runs in a
``finally``.

RabbitMQ 3.10.8 caveat seen on this machine: right after ``start_app`` the at-least-once
dead-letter workers could crash often enough that their supervisor ``rabbit_fifo_dlx_sup``
gave up, and from then on every quorum queue with ``x-dead-letter-strategy=at-least-once``
failed with INTERNAL_ERROR. After every restart the test checks that supervisor and
restarts it if needed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jepsen_model import (
    Endpoint,
    History,
    assert_exactly_once,
    asyncpg_dsn,
    burst,
    provisioned_home,
)
from support.hubproc import HubHome
from support.private_rabbit import PrivateRabbit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUBMISSIONS = 300
STOP_AFTER = 100  # 2xx answers before the broker stops
DOWN_SECONDS = 3.0


@pytest.fixture
def node() -> Iterator[PrivateRabbit]:
    """A private RabbitMQ node for this test alone, halted and removed after it."""
    rabbit = PrivateRabbit.create()
    try:
        rabbit.start()
        yield rabbit
    finally:
        rabbit.destroy()


@pytest.fixture
def private_home(tmp_path: Path, pg_url: str, node: PrivateRabbit) -> HubHome:
    """A provisioned hub home on a fresh database and the private node."""
    return provisioned_home(tmp_path / "home", pg_url, node.url)


class BrokerRestart:
    """Stop the broker app once, start it again; ``ensure_started`` is the safety net."""

    def __init__(self, node: PrivateRabbit) -> None:
        self.node = node
        self.trigger = asyncio.Event()
        self.stopped = False
        self.accepted_while_down = 0

    def on_accepted(self, accepted: int) -> None:
        if self.stopped:
            self.accepted_while_down += 1
        if accepted == STOP_AFTER:
            self.trigger.set()

    async def run(self) -> None:
        await self.trigger.wait()
        self.stopped = True
        try:
            await asyncio.to_thread(self.node.stop_app)
            await asyncio.sleep(DOWN_SECONDS)
        finally:
            await asyncio.to_thread(self.ensure_started)

    def ensure_started(self) -> None:
        if self.stopped:
            self.node.start_app()
            self.stopped = False
            ensure_dlx_supervisor(self.node)


def ensure_dlx_supervisor(node: PrivateRabbit, settle: float = 3.0) -> None:
    """Restart ``rabbit_fifo_dlx_sup`` if it died after the restart (see the module doc)."""
    time.sleep(settle)  # it dies, if it does, within a second or two of the start
    check = "whereis(rabbit_fifo_dlx_sup)."
    if node.ctl("eval", check).strip() == "undefined":
        node.ctl("eval", "supervisor:restart_child(rabbit_sup, rabbit_fifo_dlx_sup).")
        assert node.ctl("eval", check).strip() != "undefined", "dlx supervisor is dead"


async def test_broker_restart_during_burst_loses_and_duplicates_nothing(
    private_home: HubHome, pg_url: str, node: PrivateRabbit
) -> None:
    """RabbitMQ app stopped and started mid-burst: each 2xx message once, receipts once."""
    hub_home = private_home
    hub = hub_home.process()
    restart = BrokerRestart(node)
    try:
        await hub.start()
        history = History()
        history.plan(SUBMISSIONS, "broker")
        restarter = asyncio.create_task(restart.run())
        await burst(history, [hub.url], hub_home.tokens, on_accepted=restart.on_accepted)
        await restarter
        await Endpoint(history, hub_home.tokens, [hub.url]).drain(asyncpg_dsn(pg_url))
        verdict = assert_exactly_once(history, min_ok=STOP_AFTER)
        answers = {a.detail[:3] for a in history.with_outcome("unknown")}
        assert answers <= {"503"}, f"the hub must answer 202 or 503, never hang: {answers}"
        assert hub.running and len(hub.pids) == 1, "the hub itself must not restart"
        print("verdict", verdict, "accepted while down", restart.accepted_while_down)
    finally:
        restart.ensure_started()
        await hub.stop()
