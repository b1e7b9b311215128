"""Stage 5, mailbox: bus messages → the unit's mailbox in the database, exactly once.

One consumer per unit mailbox queue, declared at start for every unit of the directory;
units added later are picked up by a periodic directory sync. A handler commits the
mailbox item (``MessageStore.deliver`` is idempotent on (unit, kind, ref)) and only then
returns, so the bus acks only after the commit; a redelivery finds the item and changes
nothing. A committed item wakes that unit's long-pollers.

A document past its ``expires`` is not delivered (see :mod:`gateway.pipeline.expiry`).
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from gateway.bus import Bus, BusDelivery, Consumer
from gateway.directory import Directory
from gateway.envelope.model import check_unit_code
from gateway.errors import EnvelopeError, StoreUnavailable
from gateway.logging import bound
from gateway.pipeline.expiry import Expiry
from gateway.pipeline.notify import MailboxSignals
from gateway.store import MessageStore, outbox_body

__all__ = ["MailboxConsumers", "parse_body"]

log = structlog.get_logger("gateway.pipeline.mailbox")


def parse_body(delivery: BusDelivery) -> tuple[str, str, str, str]:
    """``(kind, message_id, recipient, ref)`` from an outbox JSON body; refuse anything else."""
    try:
        body = outbox_body.decode(delivery.body, delivery.routing_key)
        recipient = check_unit_code(body.recipient)
    except (ValueError, KeyError, TypeError) as exc:
        raise EnvelopeError("unreadable bus message", code="envelope.invalid") from exc
    if body.kind not in outbox_body.KINDS or recipient != delivery.routing_key:
        raise EnvelopeError("bus message for another mailbox", code="envelope.invalid")
    return body.kind, body.message_id, recipient, body.ref


class MailboxConsumers:
    """Every unit's mailbox consumer in this hub process."""

    def __init__(
        self,
        bus: Bus,
        messages: MessageStore,
        directory: Directory,
        signals: MailboxSignals,
        expiry: Expiry,
        *,
        sync_seconds: float = 5.0,
        drain_seconds: float = 10.0,
    ) -> None:
        self.bus = bus
        self.messages = messages
        self.directory = directory
        self.signals = signals
        self.expiry = expiry
        self.sync_seconds = sync_seconds
        self.drain_seconds = drain_seconds
        self._consumers: dict[str, Consumer] = {}
        self._sync_task: asyncio.Task[None] | None = None
        self.delivered = 0

    @property
    def units(self) -> frozenset[str]:
        """Units whose mailbox this process consumes."""
        return frozenset(self._consumers)

    async def start(self) -> None:
        """Consume every unit's mailbox; keep following the directory."""
        await self.sync()
        self._sync_task = asyncio.create_task(self._follow(), name="mailbox-sync")

    async def sync(self) -> int:
        """Start consumers for units that have none yet; how many were started."""
        new = [u.code for u in await self.directory.list() if u.code not in self._consumers]
        await self.bus.declare_mailboxes(new)
        # at once: a bus may overlap the broker calls (RabbitBus spreads consumers over
        # several channels); a unit that fails is picked up again by the next sync
        results = await asyncio.gather(*(self.add(c) for c in new), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return len(new)

    async def add(self, unit: str) -> None:
        """Consume ``unit``'s mailbox (declaring it) if not already."""
        if unit not in self._consumers:
            self._consumers[unit] = await self.bus.consume(unit, self.handle)

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.sync_seconds)
            try:
                await self.sync()
            except Exception:
                log.exception("mailbox.sync_failed")

    async def stop(self) -> None:
        """Stop taking messages; let running handlers finish (their acks go out)."""
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
            self._sync_task = None
        consumers, self._consumers = list(self._consumers.values()), {}
        await asyncio.gather(*(c.cancel(self.drain_seconds) for c in consumers))

    async def handle(self, delivery: BusDelivery) -> None:
        """Commit one bus message to its mailbox (idempotent); the bus acks after.

        While the database is unreachable the message stays unacknowledged and the
        handler waits for the database to come back: an outage is not the message's
        fault, so it must not count towards the delivery limit and be dead-lettered.
        """
        delay = 0.5
        while True:
            try:
                await self._commit(delivery)
                return
            except StoreUnavailable:
                log.warning("mailbox.store_unavailable", retry_in=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _commit(self, delivery: BusDelivery) -> None:
        kind, message_id, recipient, ref = parse_body(delivery)
        with bound(message_id=message_id, unit=recipient, stage="mailbox"):
            if kind == "document" and await self.expiry(message_id, recipient):
                return
            created = await self.messages.deliver(message_id, recipient, kind, ref)
            if created:
                self.delivered += 1
                self.signals.notify(recipient)
            else:
                log.info("mailbox.duplicate", kind=kind, ref=ref, attempt=delivery.attempt)
