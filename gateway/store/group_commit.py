"""Group commit: writes that arrive while a transaction runs share the next one.

Writers take turns (see :meth:`gateway.store.db.Database.session`), so under load each
turn pays a lock, a ``BEGIN``, a ``COMMIT`` (an fsync) and the audit head for one small
change, and every other writer of the process waits through the round trips. A
:class:`GroupCommit` runs every write queued since the last turn in one write transaction
instead, each write's ``together`` function on the shared session, in arrival order. A
write alone pays nothing extra (its turn starts at once; one with a batch still runs its
batch function, the hot paths' fewest statements).

If the shared transaction fails, nothing of it is kept and every write of the group runs
again through its own ``alone`` function (its own transaction, its own error handling),
so one bad write (an unknown message, a lost race) fails alone and the others are
unaffected, exactly as without grouping. When the database is unavailable every write of
the group gets ``store.unavailable`` at once instead. ``together`` functions therefore must not have
effects outside the transaction.

A write may also name a *batch*: ``(run, item)``. The writes of a group with the same
``run`` are done by one call ``run(session, [item, ...])`` (one result per item, in
order), after the group's other writes: a hundred mailbox deliveries then cost a few
statements instead of a few hundred round trips one after the other. Batches run in the
order their kind first arrived, except the kinds named ``early``, which run first: a write
that later writes of the group may depend on across kinds (a recipient's fetch, recorded
beside the response that lets it answer, before that answer).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import StoreUnavailable
from gateway.store.db import Database
from gateway.store.deadline import bounded

__all__ = ["Batch", "GroupCommit"]

R = TypeVar("R")
#: Does the items of several writes in one call: one result per item, in order.
BatchRun = Callable[[AsyncSession, list[Any]], Awaitable[list[Any]]]
#: A write's batch: the function that does its kind of write, and this write's item.
Batch = tuple[BatchRun, Any]

#: The most writes one shared transaction takes (bounds its length and its lock time).
GROUP_LIMIT = 256
#: How long lazy writes alone wait for others before their transaction starts.
LINGER_SECONDS = 0.02


@dataclass(frozen=True, slots=True)
class _Write(Generic[R]):
    together: Callable[[AsyncSession], Awaitable[R]]
    alone: Callable[[], Awaitable[R]]
    future: asyncio.Future[R]
    batch: Batch | None = None
    lazy: bool = False


class GroupCommit:
    """One lane of writes for a database, committed in groups."""

    def __init__(
        self,
        db: Database,
        *,
        limit: int = GROUP_LIMIT,
        early: tuple[BatchRun, ...] = (),
        linger: float = LINGER_SECONDS,
    ) -> None:
        self.db = db
        self.limit = limit
        #: How long a group of lazy writes only waits for company before it runs.
        self.linger = linger
        self._urgent: asyncio.Event | None = None
        #: Batch kinds that run before the group's other batches (see the module docstring).
        self.early = early
        self._queue: list[_Write[Any]] = []
        self._runner: asyncio.Task[None] | None = None
        #: Groups committed with more than one write, and the writes in them.
        self.groups = 0
        self.grouped_writes = 0

    async def write(
        self,
        together: Callable[[AsyncSession], Awaitable[R]],
        alone: Callable[[], Awaitable[R]],
        *,
        batch: Batch | None = None,
        lazy: bool = False,
    ) -> R:
        """``together(session)`` (or its part of ``batch``) in a shared write transaction,
        or ``alone()`` if that transaction fails; the result or the error of this write.

        A ``lazy`` write (one nobody waits for: a bookkeeping mark written beside the
        answer) lets its group wait up to ``linger`` seconds for other writes to join it;
        any other write starts the group at once."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append(_Write(together, alone, future, batch, lazy))
        if not lazy and self._urgent is not None:
            self._urgent.set()
        runner = self._runner
        if runner is None or runner.done() or runner.get_loop() is not future.get_loop():
            self._runner = asyncio.create_task(self._run(), name="group-commit")
        # Shielded: a caller that goes away does not cancel the shared future (its write
        # still runs; the result is dropped). Awaiting the future directly saved a little
        # CPU per write but raised the half-load p99 in most A/B pairs, so the shield
        # stays.
        try:
            async with bounded():  # a request's bound (gateway.store.deadline) covers the turn
                return await asyncio.shield(future)
        except TimeoutError:
            if future.done():
                raise
            raise StoreUnavailable("no write turn within the request's bound") from None

    async def _run(self) -> None:
        while self._queue:
            if self.linger > 0 and all(w.lazy for w in self._queue):
                await self._wait_for_company()
            group, self._queue = self._queue[: self.limit], self._queue[self.limit :]
            if len(group) == 1 and group[0].batch is None:
                await _settle_alone(group[0])
                if (outage := _outage_of(group[0])) is not None:
                    self._fail_queued(outage)
                continue
            try:
                results = await self._together(group)
            except StoreUnavailable as exc:
                # Not one write's fault: every write of the group gets the outage at once
                # (one by one, each would wait out the database's timeouts again).
                for write in group:
                    if not write.future.done():
                        write.future.set_exception(exc)
                self._fail_queued(exc)
                continue
            except Exception:
                for write in group:
                    await _settle_alone(write)
                continue
            if len(group) > 1:
                self.groups += 1
                self.grouped_writes += len(group)
            for write, result in zip(group, results, strict=True):
                if not write.future.done():
                    write.future.set_result(result)

    def _fail_queued(self, exc: StoreUnavailable) -> None:
        """The writes that queued while a turn met the outage get it too, at once: each
        group after it would wait out the database's timeouts again, so a write queued
        behind two or three of them would wait for minutes instead of one turn. Writes
        that arrive after this start a fresh turn (the database may be back)."""
        queued, self._queue = self._queue, []
        for write in queued:
            if not write.future.done():
                write.future.set_exception(exc)

    async def _wait_for_company(self) -> None:
        """Only lazy writes are queued: wait (up to ``linger``) for an urgent one."""
        urgent = self._urgent = asyncio.Event()
        try:
            async with asyncio.timeout(self.linger):
                await urgent.wait()
        except TimeoutError:
            pass
        finally:
            self._urgent = None

    async def _together(self, group: list[_Write[Any]]) -> list[Any]:
        results: list[Any] = [None] * len(group)
        batches: dict[BatchRun, list[int]] = {}
        async with self.db.session(write=True) as session:
            for i, write in enumerate(group):
                if write.batch is None:
                    results[i] = await write.together(session)
                else:
                    batches.setdefault(write.batch[0], []).append(i)
            ordered = sorted(batches.items(), key=lambda kv: kv[0] not in self.early)
            for run, indexes in ordered:
                items = [group[i].batch[1] for i in indexes]  # type: ignore[index]
                for i, result in zip(indexes, await run(session, items), strict=True):
                    results[i] = result
        return results


def _outage_of(write: _Write[Any]) -> StoreUnavailable | None:
    """The outage ``write`` ended with, if it did."""
    future = write.future
    if future.done() and not future.cancelled():
        error = future.exception()
        if isinstance(error, StoreUnavailable):
            return error
    return None


async def _settle_alone(write: _Write[Any]) -> None:
    try:
        result = await write.alone()
    except Exception as exc:
        if not write.future.done():
            write.future.set_exception(exc)
        return
    if not write.future.done():
        write.future.set_result(result)
