"""A successor's mailbox: the pending items of the units it took over, read at read time.

When a unit retires (or merges, or is re-coded), its pending mailbox items stay its own
rows; from the retirement's instant on, its successor reads them with its own, acks and
answers them. Nothing is copied, so nothing can be lost or handed over twice, and there
is no moment (nor crash) in the middle of a hand-over: the item is in the retired unit's
list until the instant and in the successor's from then on, in every hub process at
once. Each item read this way says whom it was addressed to (``handed_over_from``), and
the first read of each is recorded in its message's timeline
(:mod:`gateway.pipeline.handover`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.directory.lineage import Lineage
from gateway.pipeline.handover import HandoverLog
from gateway.store import MessageStore
from gateway.store.records import MailboxItem

__all__ = ["Succession"]

#: How many items of a predecessor are read to find whose an acked item id is.
_OWNER_SCAN = 500


class Succession:
    """Mailbox reads and acks of a unit and of the retired units it stands for."""

    def __init__(self, messages: MessageStore, lineage: Lineage) -> None:
        self.messages = messages
        self.lineage = lineage
        self.handovers = HandoverLog(lineage.db)

    async def pending(self, unit: str, limit: int) -> list[MailboxItem]:
        """``unit``'s pending items, then those of the units handed to it, oldest first
        (the first read of each handed-over item is recorded before it is returned)."""
        items = await self.messages.pending(unit, limit)
        handed = False
        for retired in await self.lineage.handed_to(unit):
            if len(items) >= limit:
                break
            more = await self.messages.pending(retired, limit - len(items))
            handed = handed or bool(more)
            items += more
        if handed:
            await self.handovers.record(unit, items)
        return items

    @staticmethod
    def to_json(unit: str, item: MailboxItem) -> dict[str, Any]:
        """The mailbox API item; one handed over says from which unit."""
        data = item.to_json()
        if item.unit != unit:
            data["handed_over_from"] = item.unit
        return data

    async def ack_items(self, unit: str, item_ids: Sequence[int]) -> None:
        """Ack items of ``unit`` or of the units handed to it (each by its owner)."""
        retired = await self.lineage.handed_to(unit)
        if not retired:
            await self.messages.ack_items(unit, item_ids)
            return
        owners: dict[int, str] = {}
        for code in retired:
            for item in await self.messages.pending(code, _OWNER_SCAN):
                owners[item.item_id] = code
        by_owner: dict[str, list[int]] = {}
        for item_id in item_ids:
            by_owner.setdefault(owners.get(item_id, unit), []).append(item_id)
        for owner, ids in by_owner.items():
            await self.messages.ack_items(owner, ids)

    async def mark_fetched(
        self, items: Sequence[MailboxItem], *, lazy: bool, person: str | None = None
    ) -> None:
        """Record the first fetch of documents, each under its own mailbox's unit
        (``person``: the clerk who fetched them)."""
        by_owner: dict[str, list[str]] = {}
        for item in items:
            by_owner.setdefault(item.unit, []).append(item.message_id)
        for owner, message_ids in by_owner.items():
            await self.messages.mark_fetched_many(owner, message_ids, lazy=lazy, person=person)
