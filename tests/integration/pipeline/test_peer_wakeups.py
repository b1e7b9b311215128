"""Hubs sharing one PostgreSQL wake each other's long-polls (``[hub] wake_peers``)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from gateway.hub import Hub
from tests.support.pipeline_stack import A, B, Stack, eventually, make_config, signed_envelope, unit

#: Well under the long-poll's own re-read period (``gateway.pipeline.deliver._POLL_SECONDS``).
PROMPT_SECONDS = 1.5


def _stack(home: Path, pg_url: str, amqp_url: str, *, wake_peers: bool) -> Stack:
    config = make_config(home, pg_url, amqp_url)
    return Stack(
        "postgresql-rabbitmq", replace(config, hub=replace(config.hub, wake_peers=wake_peers))
    )


async def _delivered_while_polling(waiter: Hub, consumer: Hub) -> tuple[str, list[str], float]:
    """Long-poll B's mailbox on ``waiter``, submit A → B on ``consumer`` once the poll
    waits; (message id, ids the poll returned, seconds from the submission to the answer)."""
    loop = asyncio.get_running_loop()
    poll = asyncio.create_task(waiter.mailbox(unit(B), wait=15, limit=5))

    async def waiting() -> bool:
        return waiter.signals.waiting(B) > 0

    await eventually(waiting)
    message_id, xml = await signed_envelope(consumer, A, recipients=(B,))
    started = loop.time()
    await consumer.submit_envelope(unit(A), xml)
    items = await asyncio.wait_for(poll, 20)
    elapsed = loop.time() - started
    await waiter.ack_items(unit(B), [item["item_id"] for item in items])
    return message_id, [item["message_id"] for item in items], elapsed


async def test_a_delivery_another_hub_commits_wakes_this_hubs_long_poll(
    tmp_home: Path, pg_url: str, amqp_url: str
) -> None:
    """A recipient long-polling a hub that consumes nothing gets each document as soon as
    the other hub's consumer commits it, through that hub's notification."""
    stack = _stack(tmp_home, pg_url, amqp_url, wake_peers=True)
    consumer = await stack.hub()
    waiter = await stack.hub(consume=False)
    try:
        assert waiter.peers.listening
        for _ in range(3):
            message_id, returned, elapsed = await _delivered_while_polling(waiter, consumer)
            assert returned == [message_id]
            assert elapsed < PROMPT_SECONDS, f"the long-poll answered {elapsed:.2f} s later"
        assert waiter.peers.received >= 3
        assert consumer.peers.received == 0, "a hub ignores its own notifications"
    finally:
        await waiter.stop()
        await consumer.stop()


async def test_without_wake_peers_no_hub_listens(
    tmp_home: Path, pg_url: str, amqp_url: str
) -> None:
    """With ``wake_peers`` off (one process) nothing listens or notifies; the long-poll
    still finds the other hub's delivery by re-reading."""
    config = make_config(tmp_home, pg_url, amqp_url)
    stack = Stack("postgresql-rabbitmq", config)
    consumer = await stack.hub()
    waiter = await stack.hub(consume=False)
    try:
        assert not waiter.peers.listening
        message_id, returned, _ = await _delivered_while_polling(waiter, consumer)
        assert returned == [message_id]
        assert waiter.peers.received == 0
    finally:
        await waiter.stop()
        await consumer.stop()
