"""Mailbox signals: long-pollers wake on their own unit's notification only."""

from __future__ import annotations

import asyncio

from gateway.pipeline.notify import MailboxSignals


async def test_a_waiter_wakes_on_its_units_notification():
    """notify(unit) ends wait(unit) early with True."""
    signals = MailboxSignals()
    waiter = asyncio.create_task(signals.wait("000.00.01.H01", 5.0))
    await asyncio.sleep(0)
    assert signals.waiting("000.00.01.H01") == 1
    signals.notify("000.00.01.H01")
    assert await asyncio.wait_for(waiter, 1.0) is True
    assert signals.waiting("000.00.01.H01") == 0


async def test_another_units_notification_does_not_wake():
    """A notification for another unit leaves the waiter to time out (False)."""
    signals = MailboxSignals()
    waiter = asyncio.create_task(signals.wait("000.00.01.H01", 0.1))
    await asyncio.sleep(0)
    signals.notify("000.00.02.H01")
    assert await waiter is False


async def test_zero_timeout_returns_at_once():
    """wait(unit, 0) does not block."""
    assert await MailboxSignals().wait("000.00.01.H01", 0) is False


async def test_notify_all_wakes_everyone():
    """notify_all (used on shutdown) wakes every waiter."""
    signals = MailboxSignals()
    waiters = [asyncio.create_task(signals.wait(u, 5.0)) for u in ("A", "B")]
    await asyncio.sleep(0)
    signals.notify_all()
    assert await asyncio.gather(*waiters) == [True, True]


async def test_a_notification_during_the_read_is_not_lost():
    """A reader that listens before reading wakes at once for an item committed meanwhile."""
    signals = MailboxSignals()
    with signals.listen("000.00.01.H01") as listener:
        listener.clear()  # the reader is about to read the store
        signals.notify("000.00.01.H01")  # an item commits while that read is under way
        assert await asyncio.wait_for(listener.wait(5.0), 0.5) is True
    assert signals.waiting("000.00.01.H01") == 0


async def test_clear_forgets_notifications_before_the_read():
    """An item notified before the read (which then found it) does not wake the next wait."""
    signals = MailboxSignals()
    with signals.listen("000.00.01.H01") as listener:
        signals.notify("000.00.01.H01")
        listener.clear()
        assert await listener.wait(0.05) is False
        assert signals.waiting("000.00.01.H01") == 1
