"""Stage 6, deliver: the unit fetches its mailbox (long-poll) and acks what it handled.

A fetch answers at once when items are pending, else waits up to ``wait`` seconds for the
first one: a commit to the unit's mailbox wakes it (:mod:`gateway.pipeline.notify`), and
it re-reads the store every few seconds anyway (another hub process may have consumed).
A document fetched for the first time becomes ``delivered``, unless it expired meanwhile
(then the hub's ``expired`` receipt takes it off the list). A successor unit's fetch also
shows its retired predecessors' items (:mod:`gateway.pipeline.succession`).

The caller was authorised by the hub; this stage takes the unit it acts for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import Any

import structlog

from gateway.errors import NotFoundError
from gateway.pipeline.expiry import Expiry
from gateway.pipeline.notify import MailboxSignals
from gateway.pipeline.succession import Succession
from gateway.store import MessageStore

__all__ = ["MAX_LIMIT", "Background", "Deliver", "item_number"]

log = structlog.get_logger("gateway.pipeline.deliver")

#: Long-polls re-read the store this often (another hub process may have consumed).
_POLL_SECONDS = 2.0
_MAX_WAIT = 60.0
#: The most items one fetch (or one search page) returns.
MAX_LIMIT = 500
#: The largest mailbox item id (``mailbox_items.item_id`` is an ``INTEGER``).
_MAX_ITEM_ID = 2**31 - 1


def item_number(item_id: object) -> int:
    """A mailbox item id as given by a caller (its text or the number), else
    ``mailbox.item_not_found``. Ids are 32-bit (the column is an ``INTEGER``): a larger
    number reaching PostgreSQL would fail the statement as a driver error, and with it every
    write of its group."""
    number = -1
    if isinstance(item_id, str) and item_id.isascii() and item_id.isdigit() and len(item_id) < 11:
        number = int(item_id)
    elif isinstance(item_id, int) and not isinstance(item_id, bool):
        number = item_id
    if 0 <= number <= _MAX_ITEM_ID:
        return number
    raise NotFoundError(f"no item {str(item_id)[:40]!r}", code="mailbox.item_not_found")


class Background:
    """Writes running beside a response; :meth:`wait` (at the hub's stop) awaits them."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, write: Coroutine[Any, Any, None], failure: str) -> None:
        """Run ``write`` in the background; log its failure as ``failure``."""
        task = asyncio.create_task(write)
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if not finished.cancelled() and finished.exception() is not None:
                log.warning(failure, error=repr(finished.exception()))

        task.add_done_callback(done)

    async def wait(self) -> None:
        """Until every write running now has finished (their failures are logged)."""
        await asyncio.gather(*self._tasks, return_exceptions=True)


class Deliver:
    """Fetch and ack for one hub process."""

    def __init__(
        self,
        messages: MessageStore,
        succession: Succession,
        signals: MailboxSignals,
        expiry: Expiry,
        background: Background,
    ) -> None:
        self.messages = messages
        self.succession = succession
        self.signals = signals
        self.expiry = expiry
        self.background = background
        #: False once the hub stops: waiting fetches answer at once.
        self.open = False

    def close(self) -> None:
        """The hub stops: end every waiting fetch now."""
        self.open = False
        self.signals.notify_all()

    async def fetch(
        self,
        unit: str,
        *,
        wait: float,
        limit: int,
        record_later: bool = False,
        person: str | None = None,
    ) -> list[dict[str, Any]]:
        """``unit``'s pending items, waiting up to ``wait`` seconds for the first one
        (``person``: the clerk fetching, recorded on each delivery that becomes
        ``delivered``).

        With ``record_later`` (the HTTP API) the ``delivered`` write runs beside the
        response instead of before it: the recipient does not wait for the write lane, and
        the state follows within milliseconds. If the write fails, the document is still
        unacked and not marked fetched, so the next fetch returns it again and records it.
        """
        limit = max(1, min(limit, MAX_LIMIT))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, _MAX_WAIT))
        with self.signals.listen(unit) as listener:
            while True:
                listener.clear()  # what commits from here on wakes the wait below at once
                items = await self.succession.pending(unit, limit)
                remaining = deadline - loop.time()
                if items or remaining <= 0 or not self.open:
                    break
                await listener.wait(min(remaining, _POLL_SECONDS))
        fresh, fetched = [], []
        for item in items:
            if item.kind == "document" and item.fetched_at is None:
                if await self.expiry(item.message_id, item.unit):
                    await self.messages.ack_item(item.unit, item.item_id)
                    continue
                fetched.append(item)
            fresh.append(self.succession.to_json(unit, item))
        if record_later and fetched:
            recording = self.succession.mark_fetched(fetched, lazy=True, person=person)
            self.background(recording, "mailbox.record_failed")
        else:
            await self.succession.mark_fetched(fetched, lazy=False, person=person)
        return fresh

    async def ack(self, unit: str, item_ids: Sequence[object]) -> None:
        """Take items off ``unit``'s pending list in one transaction: all of them, or none
        when one is not the unit's (``mailbox.item_not_found``)."""
        await self.succession.ack_items(unit, [item_number(i) for i in item_ids])
