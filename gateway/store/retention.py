"""Dropping the outbox rows the hub is done with: published ones older than a day.

An outbox row is the bridge from a committed transaction to the bus: once the bus has
confirmed it (``published_at`` set) the row has done its work. The document, its
deliveries, its receipts and the audit chain are the record; the row only repeats which
message went to which mailbox queue. Kept for ever, the table grows by a row per
recipient and per receipt (152 for one letter to every commune) and its indexes with it,
so the hub deletes published rows once they are ``[database] outbox_keep_seconds`` old
(a day by default; 0 keeps them all).

Nothing waits on such a row. RabbitMQ holds the message itself, dead letters included.
With the in-process bus, the only reader of published rows is the recovery at start (rows
whose mailbox item is missing, :meth:`gateway.hub.Hub._recover_local_bus`), which runs
before the first pass; a row not consumed a day later in a running hub has been
dead-lettered, and that dead letter lives in the process's memory only, so the row is the
message's one durable copy: ``held`` names such rows and they are kept (the next start's
recovery sends them again). Unpublished rows are never touched, whatever their age.

Each pass deletes at most ``batch`` (250) rows per statement, oldest first, and at most
``batches`` statements, so it never holds the database long; one statement on its own
(autocommit on PostgreSQL, one short write transaction on SQLite), outside the write lane,
appending nothing to the audit chain, like the relay's claim. PostgreSQL reclaims the space
with the hub's vacuum (:mod:`gateway.store.vacuum`) or autovacuum.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import bindparam, delete, select

from gateway.store.db import Database
from gateway.store.models import OutboxEntryRow, table, utcnow
from gateway.store.periodic import Periodic
from gateway.store.prepared import Prepared

__all__ = ["OutboxRetention"]

log = structlog.get_logger("gateway.store.retention")

_OUTBOX = table(OutboxEntryRow)


def _purge(held: Collection[int] = ()) -> Any:
    """Delete up to ``:lim`` rows published before ``:before``, oldest first (the
    ``(published_at, id)`` index; unpublished rows have no ``published_at`` and never
    match), except the rows ``held``."""
    old = select(_OUTBOX.c.id).where(_OUTBOX.c.published_at < bindparam("before"))
    if held:
        old = old.where(_OUTBOX.c.id.not_in(sorted(held)))
    oldest = old.order_by(_OUTBOX.c.published_at, _OUTBOX.c.id).limit(bindparam("lim"))
    return delete(_OUTBOX).where(_OUTBOX.c.id.in_(oldest)).returning(_OUTBOX.c.id)


#: The purge when nothing is held (the usual case), prepared once.
_PURGE = Prepared(_purge())


async def _nothing_held() -> Collection[int]:
    return ()


class OutboxRetention(Periodic):
    """The periodic purge of published outbox rows in one hub process (both databases)."""

    name = "store.outbox_purge"

    def __init__(
        self,
        db: Database,
        *,
        keep_seconds: float,
        every_seconds: float = 60.0,
        batch: int = 250,
        batches: int = 80,
        clock: Callable[[], datetime] = utcnow,
        held: Callable[[], Awaitable[Collection[int]]] = _nothing_held,
    ) -> None:
        super().__init__(every_seconds)
        self.db = db
        #: Outbox rows to keep whatever their age (see the module docstring).
        self.held = held
        self.keep_seconds = keep_seconds
        self.batch = max(1, batch)
        self.batches = max(1, batches)
        self.clock = clock
        #: Rows this process has deleted so far.
        self.purged = 0

    @property
    def enabled(self) -> bool:
        """A positive keep time and period."""
        return self.keep_seconds > 0 and self.every_seconds > 0

    async def run_once(self) -> int:
        """Delete published rows older than the keep time; how many went."""
        if self.keep_seconds <= 0:
            return 0
        began = time.perf_counter()
        params = {"before": self.clock() - timedelta(seconds=self.keep_seconds), "lim": self.batch}
        held = await self.held()  # once a pass: the same rows stay held for all its statements
        statement = _purge(held) if held else None
        deleted = 0
        for _ in range(self.batches):
            count = await self._delete(statement, params)
            deleted += count
            if count < self.batch:
                break
            await asyncio.sleep(0)  # let the hot paths in between two statements
        if deleted:
            self.purged += deleted
            log.info(
                "store.outbox_purged",
                rows=deleted,
                ms=round((time.perf_counter() - began) * 1000, 1),
            )
        return deleted

    async def _delete(self, statement: Any, params: dict[str, Any]) -> int:
        """One statement: the oldest rows (``statement``: but for the held ones; ``None``:
        nothing is held, the prepared purge)."""
        if statement is None:
            return len(list(await self.db.query(_PURGE, params, write=True)))
        async with self.db.session(write=True) as session:
            return len((await session.execute(statement, params)).all())
