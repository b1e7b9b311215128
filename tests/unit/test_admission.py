"""Admission control's gate (:mod:`gateway.pipeline.admission`) with a backlog reader
that returns set figures: the bounds, the count between readings, the window's floor."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from gateway.errors import OverloadedError
from gateway.pipeline.admission import Admission, AdmissionLimits
from gateway.store.backlog import Backlog


class Readings:
    """Backlog readings handed out in order; the floors asked for, recorded."""

    def __init__(self, *readings: Backlog) -> None:
        self.readings = list(readings)
        self.floors: list[int] = []

    async def __call__(self, floor: int) -> Backlog:
        self.floors.append(floor)
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


async def test_inflight_bound_refuses_with_code_and_retry_after() -> None:
    """With one submission being taken in and a bound of one, the next is refused with
    hub.overloaded, 503 and Retry-After; once it ends, a submission passes again."""
    gate = Admission(AdmissionLimits(max_inflight=1, max_backlog=0, retry_after=3))
    async with gate.slot():
        with pytest.raises(OverloadedError) as refused:
            gate.check()
    assert refused.value.code == "hub.overloaded" and refused.value.http_status == 503
    assert refused.value.headers == {"Retry-After": "3"}
    gate.check()
    assert gate.refused == 1 and gate.inflight == 0


async def test_backlog_bound_counts_documents_accepted_since_the_reading() -> None:
    """A reading of 2 with a bound of 4: two more are admitted, the fifth is refused before
    the next reading; a reading of 0 opens the gate again."""
    read = Readings(Backlog(0, 0), Backlog(2, 7), Backlog(0, 7))
    gate = Admission(AdmissionLimits(max_inflight=0, max_backlog=4), read)
    await gate.sample()
    assert gate.backlog == 2
    for _ in range(2):
        async with gate.slot():
            pass
    with pytest.raises(OverloadedError):
        gate.check()
    await gate.sample()
    assert gate.backlog == 0
    gate.check()


async def test_submissions_being_taken_in_count_against_the_backlog_bound() -> None:
    """Three submissions in flight (three requests) with a bound of three: a fourth is
    refused although none has finished yet."""
    gate = Admission(AdmissionLimits(max_inflight=0, max_backlog=3), Readings(Backlog(0, 0)))
    await gate.sample()
    release, holding = asyncio.Event(), asyncio.Semaphore(0)

    async def request() -> None:
        async with gate.slot():
            holding.release()
            await release.wait()

    tasks = [asyncio.create_task(request()) for _ in range(3)]
    for _ in tasks:
        await holding.acquire()
    with pytest.raises(OverloadedError):
        gate.check()
    release.set()
    await asyncio.gather(*tasks)
    assert gate.inflight == 0 and gate.backlog == 3


async def test_a_refused_block_does_not_count_as_accepted() -> None:
    """A submission that raises inside its slot is not added to the backlog."""
    gate = Admission(AdmissionLimits(max_inflight=5, max_backlog=5), Readings(Backlog(0, 0)))
    await gate.sample()
    with pytest.raises(ValueError):
        async with gate.slot():
            raise ValueError("refused by a later stage")
    assert gate.backlog == 0 and gate.inflight == 0


async def test_only_mailbox_items_of_the_window_count() -> None:
    """The first reading takes the newest delivery as the floor (older ones never count);
    once a reading is older than the window, its newest delivery becomes the floor."""
    now = [100.0]
    read = Readings(Backlog(0, 50), Backlog(3, 60), Backlog(1, 70), Backlog(0, 80))
    gate = Admission(AdmissionLimits(window_seconds=10), read, clock=lambda: now[0])
    await gate.sample()  # floor 50 at start, then a reading above it
    now[0] = 105.0
    await gate.sample()
    now[0] = 111.0  # the reading at 100 (newest 60) is now older than the window
    await gate.sample()
    assert read.floors == [2**31 - 1, 50, 50, 60]


async def test_a_nested_slot_holds_nothing_more() -> None:
    """The HTTP layer's slot and the submit method's inside it count one submission once:
    one in flight while both are held, one more on its way afterwards."""
    gate = Admission(AdmissionLimits(max_inflight=1, max_backlog=5), Readings(Backlog(0, 0)))
    await gate.sample()
    async with gate.slot(), gate.slot():
        assert gate.inflight == 1
    assert gate.inflight == 0 and gate.backlog == 1
    async with gate.slot():  # the holding mark is gone once the outer block ended
        with pytest.raises(OverloadedError):
            gate.check()


async def test_the_bound_follows_the_recipients_pace_with_a_target_wait() -> None:
    """With a target wait of one second: no fetches yet, the bound is ``min_backlog``;
    ten deliveries a second leaving the backlog make it ten; never above ``max_backlog``."""
    now = [0.0]
    read = Readings(Backlog(0, 0), Backlog(0, 0), Backlog(2, 12), Backlog(0, 20), Backlog(0, 20))
    limits = AdmissionLimits(max_backlog=15, target_wait=1.0, min_backlog=4, rate_seconds=5)
    gate = Admission(limits, read, clock=lambda: now[0])
    await gate.sample()
    assert gate.bound == 4
    for t in (1.0, 2.0):  # 12 created, 2 still waiting; then 8 more created, none waiting
        now[0] = t
        await gate.sample()
    assert gate.pace == 10.0 and gate.bound == 10
    for _ in range(10):
        async with gate.slot():
            pass
    with pytest.raises(OverloadedError):
        gate.check()
    fast = Admission(dataclasses.replace(limits, target_wait=3.0), read, clock=lambda: now[0])
    fast._paces.extend([(0.0, 0), (1.0, 10)])  # the same pace, three seconds' worth: 30
    assert fast.bound == 15


async def test_a_paced_bound_leaves_the_submissions_being_taken_in_out() -> None:
    """With a target wait, submissions still being taken in do not count against the
    backlog bound (only ``max_inflight`` bounds them): four in flight under a paced bound
    of four are not refused, while a fixed bound of four refuses the fifth."""
    paced = Admission(
        AdmissionLimits(max_inflight=0, max_backlog=0, target_wait=1.0, min_backlog=4),
        Readings(Backlog(0, 0)),
    )
    fixed = Admission(AdmissionLimits(max_inflight=0, max_backlog=4), Readings(Backlog(0, 0)))
    for gate in (paced, fixed):
        await gate.sample()
        gate.inflight = 4
    paced.check()
    with pytest.raises(OverloadedError):
        fixed.check()
    paced.backlog = 4
    with pytest.raises(OverloadedError):
        paced.check()
