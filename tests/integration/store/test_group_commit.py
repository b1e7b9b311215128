"""The write lane on both databases: a caller that goes away does not take its group with it."""

from __future__ import annotations

import asyncio
import gc

import pytest

from gateway.errors import GatewayError
from gateway.store.messages import MessageStore
from tests.support.store_builders import make_envelope

pytestmark = pytest.mark.integration

SENDER = "000.00.00.H01"
RECIPIENTS = ("000.00.01.H01", "000.00.02.H01")


async def test_a_cancelled_writer_leaves_its_group_whole(
    store: MessageStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Ten accepts share the lane and one caller is cancelled while they wait: the other
    nine get their answers, the cancelled one's write is still committed (the lane does
    not undo work whose caller left), and no unretrieved result is left behind."""
    envelopes = [make_envelope(SENDER, RECIPIENTS) for _ in range(10)]
    tasks = [asyncio.create_task(store.accept(env, list(RECIPIENTS), SENDER)) for env in envelopes]
    await asyncio.sleep(0)  # every write is queued; the first group is running
    tasks[5].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[5], asyncio.CancelledError)
    answered = [r for i, r in enumerate(results) if i != 5]
    assert all(not isinstance(r, BaseException) and r.created for r in answered)
    for env in envelopes:  # all ten are stored, the cancelled caller's too
        stored = await store.get(str(env.envelope.message_id))
        assert sorted(stored.recipients) == sorted(RECIPIENTS)
    gc.collect()
    assert "never retrieved" not in caplog.text


async def test_a_bad_write_fails_alone(store: MessageStore) -> None:
    """In a group, a write that fails (an unknown message's delivery) gets its own error;
    the writes beside it commit."""
    good = [make_envelope(SENDER, RECIPIENTS) for _ in range(3)]
    for env in good:
        await store.accept(env, list(RECIPIENTS), SENDER)
    unknown = "00000000-0000-4000-8000-000000000000"
    calls = [store.deliver(str(env.envelope.message_id), RECIPIENTS[0]) for env in good]
    calls.insert(1, store.deliver(unknown, RECIPIENTS[0]))
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[1], GatewayError)
    assert [r for i, r in enumerate(results) if i != 1] == [True, True, True]
