"""Stage 8, status: one timeline per message, as DESIGN.md shows it.

``{"id", "sender", "subject", "created_at", "recipients": [{"unit", "state",
"receipts": [{"status": "03", "name": "accepted", "at", "by", "reason"}]}]}``.
After a change of the directory a recipient also says ``addressed_to`` (the retired
code the sender wrote, whose successor got the document) or ``forwarded_to`` (the unit
that now stands for a retired recipient), each with a ``note`` in words; the sender's
and recipients' names are those they had when the message was sent (``sender_name``,
``name``), even after a rename.
The sender and operators see every recipient; a recipient sees its own delivery only.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from gateway.directory import Directory
from gateway.directory.lineage import LineageSnapshot, names_at
from gateway.envelope.codec import envelope_from_element
from gateway.pipeline.handover import add_handovers
from gateway.pipeline.states import is_final
from gateway.store import MessageStore
from gateway.xmlsafe import parse_xml

__all__ = ["StatusView"]


class StatusView:
    """Read a message's timeline, narrowed to what the reader may see."""

    def __init__(self, messages: MessageStore, directory: Directory | None = None) -> None:
        self.messages = messages
        self.directory = directory

    async def __call__(self, message_id: str, *, only: str | None = None) -> dict[str, Any]:
        """The status JSON; ``only`` keeps a single recipient's delivery (and those it
        took over from a retired unit)."""
        status = (await self.messages.status(message_id)).to_json()
        if self.directory is not None:
            await forwarding_notes(self.directory, self.messages, status)
        if only is not None:
            status["recipients"] = [
                r for r in status["recipients"] if only in (r["unit"], r.get("forwarded_to"))
            ]
        status["complete"] = all(is_final(r["state"]) for r in status["recipients"])
        return status


async def forwarding_notes(
    directory: Directory, messages: MessageStore, status: dict[str, Any]
) -> None:
    """Add ``addressed_to``/``forwarded_to`` notes to ``status`` (read at read time), and
    the hand-overs of its items to successors (:func:`add_handovers`)."""
    await _names_when_sent(directory, status)
    snap = await directory.lineage.snapshot()
    if not snap.links:
        return
    await add_handovers(directory.db, status)
    now = directory.lineage.clock()
    units = {r["unit"]: r for r in status["recipients"]}
    for code, entry in units.items():
        if snap.retired(code, now):
            target = snap.resolve(code, now)[0]
            entry["forwarded_to"] = target
            entry["note"] = f"{code} is retired: handed over to {target}"
    if not any(snap.predecessors(code) for code in units):
        return
    xml = await messages.envelope_xml(status["id"])
    written = envelope_from_element(parse_xml(xml, max_bytes=len(xml) + 1)).all_addressees()
    for code in written:
        carrier = None if code in units else _carrier(snap, code, units)
        if carrier is not None:
            units[carrier]["addressed_to"] = code
            units[carrier].setdefault("note", f"addressed to {code}, forwarded to {carrier}")


async def _names_when_sent(directory: Directory, status: dict[str, Any]) -> None:
    """``sender_name`` and each recipient's ``name`` as they were when it was sent."""
    sent = datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    codes = [status["sender"], *(r["unit"] for r in status["recipients"])]
    names = await names_at(directory.db, codes, sent)
    status["sender_name"] = names.get(status["sender"])
    for entry in status["recipients"]:
        entry["name"] = names.get(entry["unit"])


def _carrier(snap: LineageSnapshot, code: str, units: Collection[str]) -> str | None:
    """The first of ``units`` down ``code``'s forwarding chain (who got its documents)."""
    seen = {code}
    while links := snap.successors(code):
        code = links[0].successor
        if code in units:
            return code
        if code in seen:
            return None
        seen.add(code)
    return None
