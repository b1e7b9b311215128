"""Issue 3 part 8 (b): restart RabbitMQ during a burst of submissions.

The broker is restarted with ``rabbitmqctl stop_app`` / ``start_app`` rather than killed:
this machine's broker is shared by everyone's tests, and stopping the app closes every
connection exactly as a broker crash does for the hub (its connections drop, publishes
go unconfirmed, queued messages survive on disk) while the Erlang node stays up, so it
comes back in seconds and cannot be left dead by a failed restart. ``start_app`` always
runs in a ``finally``.

RabbitMQ 3.10.8 caveat seen on this machine: right after ``start_app``, while other test
runs were deleting their vhosts, the at-least-once dead-letter workers crashed often
enough that their supervisor ``rabbit_fifo_dlx_sup`` gave up, and from then on every
quorum queue with ``x-dead-letter-strategy=at-least-once`` failed with INTERNAL_ERROR
until the app restarted. After every restart the test checks that supervisor and
restarts it if needed, so a run never leaves the shared broker broken.
"""

from __future__ import annotations

import asyncio
import subprocess
import time

import pytest
from jepsen_model import Endpoint, History, assert_exactly_once, asyncpg_dsn, burst
from support.hubproc import HubHome

# it stops the shared broker's app: run alone (.ci/run), never beside other tests
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial]

SUBMISSIONS = 300
STOP_AFTER = 100  # 2xx answers before the broker stops
DOWN_SECONDS = 3.0


def rabbitmqctl(*args: str) -> None:
    """Run one ``rabbitmqctl`` command (fails loudly)."""
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=300)


class BrokerRestart:
    """Stop the broker app once, start it again; ``ensure_started`` is the safety net."""

    def __init__(self) -> None:
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
            await asyncio.to_thread(rabbitmqctl, "stop_app")
            await asyncio.sleep(DOWN_SECONDS)
        finally:
            await asyncio.to_thread(self.ensure_started)

    def ensure_started(self) -> None:
        if self.stopped:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
            self.stopped = False
            ensure_dlx_supervisor()


def ensure_dlx_supervisor(settle: float = 3.0) -> None:
    """Restart ``rabbit_fifo_dlx_sup`` if it died after the restart (see the module doc)."""
    time.sleep(settle)  # it dies, if it does, within a second or two of the start
    check = "whereis(rabbit_fifo_dlx_sup)."
    if rabbitmqctl_out("eval", check).strip() == "undefined":
        rabbitmqctl("eval", "supervisor:restart_child(rabbit_sup, rabbit_fifo_dlx_sup).")
        assert rabbitmqctl_out("eval", check).strip() != "undefined", "dlx supervisor is dead"


def rabbitmqctl_out(*args: str) -> str:
    """``rabbitmqctl ARGS`` and its stdout."""
    done = subprocess.run(
        ["rabbitmqctl", *args], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout


async def test_broker_restart_during_burst_loses_and_duplicates_nothing(
    hub_home: HubHome, pg_url: str
) -> None:
    """RabbitMQ app stopped and started mid-burst: each 2xx message once, receipts once."""
    hub = hub_home.process()
    restart = BrokerRestart()
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
