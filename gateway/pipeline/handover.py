"""Hand-overs in the timeline (issue 24): a successor reading a retired unit's item.

A retired unit's pending items are not copied to its successor: the successor reads them
where they are (:mod:`gateway.pipeline.succession`). The first time it reads one, the
hand-over is recorded as an audit entry of the item's message, ``mailbox.handed_over``
(actor and unit: the successor; ``detail``: the item, its kind and the unit it was
addressed to), so the message's status shows, on the recipient it concerns, who took it
over from which predecessor, and when (:func:`add_handovers`).

Each item is recorded once for each successor that reads it (once, unless a successor
itself retires and its own successor reads the item on): the check and the entry are one
write transaction, and
writes are serialised (the audit chain's lock), so two hub processes reading the same
item at once record it once; a read repeated before the item is acked records nothing.
A failed record fails the read, which returns the same items again next time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import AuditRow
from gateway.store.records import MailboxItem

__all__ = ["ACTION", "HandoverLog", "add_handovers", "handovers_of"]

#: The audit action of a hand-over.
ACTION = "mailbox.handed_over"
#: Item ids this process knows are recorded (a guard against a write per poll), at most.
_REMEMBERED = 100_000


class HandoverLog:
    """Records the hand-overs a successor's mailbox read makes (once per item)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        #: ``(successor, item id)`` pairs known to be recorded.
        self._recorded: set[tuple[str, int]] = set()

    async def record(self, unit: str, items: Sequence[MailboxItem]) -> int:
        """Record each of ``items`` that is another unit's (handed over to ``unit``) and
        not recorded for ``unit`` yet (a chain of successors records each step); how many
        this call recorded."""
        fresh = [i for i in items if i.unit != unit and (unit, i.item_id) not in self._recorded]
        if not fresh:
            return 0
        made = 0
        async with self.db.session(write=True) as session:
            query = select(AuditRow.detail).where(
                AuditRow.message_id.in_({i.message_id for i in fresh}),
                AuditRow.action == ACTION,
                AuditRow.unit == unit,
            )
            known = {d.get("item_id") for d in (await session.execute(query)).scalars() if d}
            for item in fresh:
                if item.item_id in known:
                    continue
                known.add(item.item_id)
                detail = {
                    "item_id": item.item_id,
                    "kind": item.kind,
                    "from": item.unit,
                    "about": item.sender if item.kind != "document" else item.unit,
                }
                await audit.append(
                    session, f"unit:{unit}", ACTION, message_id=item.message_id, unit=unit,
                    detail=detail,
                )  # fmt: skip
                made += 1
        if len(self._recorded) > _REMEMBERED:
            self._recorded.clear()
        self._recorded.update((unit, i.item_id) for i in fresh)
        return made


async def handovers_of(db: Database, message_id: str) -> list[dict[str, Any]]:
    """The hand-overs of ``message_id``'s items, oldest first: ``{"at", "to", "from",
    "kind", "item_id", "about"}`` (``about``: the recipient whose delivery the item is)."""
    async with db.read() as session:
        query = (
            select(AuditRow.at, AuditRow.unit, AuditRow.detail)
            .where(AuditRow.message_id == message_id, AuditRow.action == ACTION)
            .order_by(AuditRow.seq)
        )
        rows = (await session.execute(query)).all()
    return [
        {"at": r.at.isoformat(), "to": r.unit, "from": r.detail.get("from"),
         "kind": r.detail.get("kind"), "item_id": r.detail.get("item_id"),
         "about": r.detail.get("about")}
        for r in rows
        if isinstance(r.detail, dict)
    ]  # fmt: skip


async def add_handovers(db: Database, status: dict[str, Any]) -> None:
    """Give each recipient of ``status`` its hand-overs, ``handovers``: its document taken
    over by its successor, and receipts about its delivery taken over by the sender's
    successor (``{"kind", "from", "to", "at"}``, oldest first). They go with the recipient,
    so a reader who may not see a delivery does not see its hand-overs either."""
    found = await handovers_of(db, status["id"])
    if not found:
        return
    for entry in status["recipients"]:
        mine = [
            {k: h[k] for k in ("kind", "from", "to", "at")}
            for h in found
            if (h["kind"] == "document" and h["from"] == entry["unit"])
            or (h["kind"] != "document" and h["about"] == entry["unit"])
        ]
        if mine:
            entry["handovers"] = mine
