"""Admission control: refuse a submission before the hub takes on more than it delivers.

A hub that accepts every submission as fast as senders can post them lets its backlog
grow for as long as the load lasts: the submissions take the CPU the relay, the mailbox
consumers and the recipients' fetches need, and a document waits longer the longer the
load lasts. So every submission passes :meth:`Admission.slot` first, and is refused with
503 ``hub.overloaded`` and ``Retry-After`` (nothing stored; a client retries later) when

- ``[hub] max_inflight_submissions`` submissions are already being taken in by this
  process (the intake queue: bodies read, envelopes sealed and verified, accept
  transactions waiting for their turn), or
- ``[hub] max_backlog`` deliveries are still on their way: accepted but not yet fetched
  by the recipient, whether still to be published, on the bus or waiting in the mailbox
  (:mod:`gateway.store.backlog`; every process sharing the database sees the same
  figure). Documents accepted since the last reading are added to it, so a burst
  between two readings does not slip through.

With ``[hub] target_wait_seconds`` set, the backlog bound follows the hub's pace instead
of standing still: it is the deliveries the recipients have been fetching per second over
the last ``rate_seconds`` times that wait (at least ``min_backlog``, at most
``max_backlog``), so an accepted document can be fetched within about that wait whether the
machine is idle or busy with other work.

The backlog is read every ``sample_seconds`` in the background, never on the request
path. Only deliveries of the last ``window_seconds`` count: a unit whose system has
been away for days leaves its waiting documents out of the figure once they are that old,
so one absent unit cannot shut the hub for everyone. A refused submission costs a header
check: the HTTP layer takes the slot before it reads the body (and the submit method
inside the same request does not take a second one), so an upload is never read, stored
and then refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

import structlog

from gateway.errors import OverloadedError
from gateway.pipeline.states import QUEUED, SUBMITTED
from gateway.store.backlog import Backlog, read_backlog
from gateway.store.db import Database

__all__ = ["Admission", "AdmissionLimits", "backlog_reader"]

log = structlog.get_logger("gateway.pipeline.admission")

#: Set while a request (or an adapter's call) holds a slot: a nested :meth:`Admission.slot`
#: in the same task passes through instead of counting the submission twice.
_HOLDING: ContextVar[bool] = ContextVar("admission_holding", default=False)
#: The largest delivery id (an ``INTEGER`` column): a floor above every delivery.
_MAX_ID = 2**31 - 1
#: Reads the backlog counting deliveries above the given delivery id.
BacklogReader = Callable[[int], Awaitable[Backlog]]


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    """The bounds; 0 switches one off."""

    max_inflight: int = 64
    max_backlog: int = 1000
    retry_after: int = 1
    sample_seconds: float = 0.2
    window_seconds: float = 30.0
    #: The wait an accepted document should have before it can be fetched; 0: the
    #: backlog bound is ``max_backlog`` alone.
    target_wait: float = 0.0
    #: The bound never goes below this (a hub with no fetches yet still takes documents).
    min_backlog: int = 8
    #: The span over which the recipients' pace is measured.
    rate_seconds: float = 5.0


def backlog_reader(db: Database) -> BacklogReader:
    """The store's reading of the backlog (deliveries accepted or queued, not yet fetched)."""

    async def read(floor: int) -> Backlog:
        return await read_backlog(db, floor, (SUBMITTED, QUEUED))

    return read


class Admission:
    """One process's gate in front of every submission (API, axis, VXP, adapters)."""

    def __init__(
        self,
        limits: AdmissionLimits,
        read: BacklogReader | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits
        self._read = read
        self._clock = clock
        self.inflight = 0
        #: The last reading plus the documents accepted since.
        self.backlog = 0
        self._accepted_since = 0
        #: (time, newest delivery id) of recent readings: the floor of the window.
        self._marks: deque[tuple[float, int]] = deque()
        self._floor: int | None = None
        self._task: asyncio.Task[None] | None = None
        #: Submissions refused so far (``/metrics``).
        self.refused = 0
        self._last: Backlog | None = None
        #: Deliveries that left the backlog since start, and (time, that count) marks.
        self._drained = 0
        self._paces: deque[tuple[float, int]] = deque()

    @property
    def watching_backlog(self) -> bool:
        """Whether a backlog bound is on (a bound and a way to read it)."""
        on = self.limits.max_backlog > 0 or self.limits.target_wait > 0
        return on and self._read is not None

    @property
    def pace(self) -> float:
        """Deliveries per second the recipients fetched over the last ``rate_seconds``."""
        if len(self._paces) < 2:
            return 0.0
        (first, before), (last, after) = self._paces[0], self._paces[-1]
        return (after - before) / (last - first) if last > first else 0.0

    @property
    def bound(self) -> int:
        """The backlog bound now: ``max_backlog``, or the pace times ``target_wait``
        (within ``min_backlog`` .. ``max_backlog``) when a target wait is set."""
        limits = self.limits
        if limits.target_wait <= 0:
            return limits.max_backlog
        paced = max(limits.min_backlog, int(self.pace * limits.target_wait))
        return min(paced, limits.max_backlog) if limits.max_backlog > 0 else paced

    # -- the gate ------------------------------------------------------------------------

    def check(self) -> None:
        """Raise :class:`OverloadedError` if a submission arriving now would be refused."""
        limits = self.limits
        if limits.max_inflight and self.inflight >= limits.max_inflight:
            self._refuse(f"{self.inflight} submissions are being taken in")
        waiting = self.backlog
        if limits.target_wait <= 0:
            # a fixed bound: the ones being taken in will add to it. A paced bound leaves
            # them out: they are bounded by max_inflight, and counted here they kept the
            # bound from ever growing (the intake's own time ate the whole wait)
            waiting += self.inflight
        if self.watching_backlog and waiting >= self.bound:
            self._refuse(f"{waiting} deliveries are still on their way to recipients")

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one intake place for the block (refused as :meth:`check` says); a block
        that ends without raising counts as one more document on its way. Inside a block
        that holds one already (the HTTP layer's), it holds nothing more."""
        if _HOLDING.get():
            yield
            return
        self.check()
        self.inflight += 1
        holding = _HOLDING.set(True)
        try:
            yield
        finally:
            _HOLDING.reset(holding)
            self.inflight -= 1
        self._accepted_since += 1
        self.backlog += 1

    def _refuse(self, why: str) -> None:
        self.refused += 1
        raise OverloadedError(
            f"the hub is at its bound ({why}); retry later", retry_after=self.limits.retry_after
        )

    # -- the reading -----------------------------------------------------------------------

    async def sample(self) -> Backlog | None:
        """Read the backlog once (the background loop's pass; tests call it directly)."""
        if self._read is None:
            return None
        now = self._clock()
        if self._floor is None:  # deliveries from before this process started do not count
            self._floor = (await self._read(_MAX_ID)).newest
            self._marks.append((now, self._floor))
        while len(self._marks) > 1 and now - self._marks[1][0] >= self.limits.window_seconds:
            self._marks.popleft()
        floor = self._marks[0][1] if now - self._marks[0][0] >= self.limits.window_seconds else 0
        floor = max(floor, self._floor)
        accepted = self._accepted_since
        reading = await self._read(floor)
        self._marks.append((now, reading.newest))
        # documents accepted while the statement ran may or may not be in it: keep them
        self._accepted_since -= accepted
        self.backlog = reading.waiting + self._accepted_since
        self._keep_pace(now, reading)
        return reading

    def _keep_pace(self, now: float, reading: Backlog) -> None:
        """Count the deliveries that left the backlog since the last reading (those on
        their way then, plus those created since, less those on their way now)."""
        if self._last is not None:
            created = reading.newest - self._last.newest
            self._drained += max(0, self._last.waiting + created - reading.waiting)
        self._last = reading
        self._paces.append((now, self._drained))
        while len(self._paces) > 2 and now - self._paces[1][0] >= self.limits.rate_seconds:
            self._paces.popleft()

    def start(self) -> None:
        """Read the backlog every ``sample_seconds`` until :meth:`stop`."""
        if self.watching_backlog and self._task is None:
            self._task = asyncio.create_task(self._loop(), name="pipeline.admission")

    async def stop(self) -> None:
        """Stop reading."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception as exc:  # the database being away is the hot paths' business
                log.warning("pipeline.admission_read_failed", error=repr(exc))
            await asyncio.sleep(self.limits.sample_seconds)
