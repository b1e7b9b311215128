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
