"""Group commit: calls of one write that arrive while a transaction runs share the next.

Writers take turns (see :meth:`gateway.store.db.Database.session`), so under load each
turn pays a lock, a ``BEGIN``, a ``COMMIT`` (an fsync) and the audit head for one small
change. :class:`GroupCommit` runs every call queued since the last turn in one write
transaction instead, each call's function on the shared session in arrival order. A call
alone pays nothing extra (its turn starts at once).

If the shared transaction fails, nothing of it is kept and every call of the group runs
again in its own transaction, so one bad call (an unknown message, a lost race) fails
alone and the others are unaffected, exactly as without grouping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.db import Database

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")

#: The most calls one shared transaction takes (bounds its length and its lock time).
GROUP_LIMIT = 256


class GroupCommit(Generic[T, R]):
    """Run ``one(session, item)`` for queued items in shared write transactions."""

    def __init__(
        self,
        db: Database,
        one: Callable[[AsyncSession, T], Awaitable[R]],
        alone: Callable[[T], Awaitable[R]],
        *,
        limit: int = GROUP_LIMIT,
    ) -> None:
        self.db = db
        self.one = one
        self.alone = alone
        self.limit = limit
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None
        #: Groups committed with more than one call, and calls in them (for tests, metrics).
        self.groups = 0
        self.grouped_calls = 0

    async def __call__(self, item: T) -> R:
        """``one(session, item)`` in some write transaction; its result or its error."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        runner = self._runner
        if runner is None or runner.done() or runner.get_loop() is not future.get_loop():
            self._runner = asyncio.create_task(self._run(), name="group-commit")
        return await asyncio.shield(future)

    async def _run(self) -> None:
        while self._queue:
            group, self._queue = self._queue[: self.limit], self._queue[self.limit :]
            if len(group) == 1:
                await self._settle_alone(*group[0])
                continue
            try:
                results = await self._together([item for item, _ in group])
            except Exception:
                for item, future in group:
                    await self._settle_alone(item, future)
                continue
            self.groups += 1
            self.grouped_calls += len(group)
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _together(self, items: list[T]) -> list[R]:
        async with self.db.session(write=True) as session:
            return [await self.one(session, item) for item in items]

    async def _settle_alone(self, item: T, future: asyncio.Future[R]) -> None:
        try:
            result = await self.alone(item)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
