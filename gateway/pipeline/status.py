"""Stage 8, status: one timeline per message, as DESIGN.md shows it.

``{"id", "sender", "subject", "created_at", "recipients": [{"unit", "state",
"receipts": [{"status": "03", "name": "accepted", "at", "by", "reason"}]}]}``.
After a change of the directory a recipient also says ``addressed_to`` (the retired
code the sender wrote, whose successor got the document) or ``forwarded_to`` (the unit
that now stands for a retired recipient), each with a ``note`` in words; the sender's
and recipients' names are those they had when the message was sent (``sender_name``,
``name``), even after a rename.
The sender and operators see every recipient; a recipient sees its own delivery only.
:meth:`StatusView.detailed` adds what the API shows beside it: each recipient's
``last_seen_at``, the PDF signature report and the RFC 3161 stamp counts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime
from typing import Any

from gateway.directory import Directory
from gateway.directory.lineage import LineageSnapshot, names_at
from gateway.envelope.codec import envelope_from_element
from gateway.pipeline.handover import add_handovers
from gateway.pipeline.states import is_final
from gateway.store import MessageStore, people
from gateway.xmlsafe import parse_xml

__all__ = ["StatusView", "hide_persons", "person_names"]


#: A message's report of one kind (PDF signatures, timestamp counts), ``None``: none kept.
Report = Callable[[str], Awaitable[Any]]


class StatusView:
    """Read a message's timeline, narrowed to what the reader may see."""

    def __init__(
        self,
        messages: MessageStore,
        directory: Directory | None = None,
        *,
        pdf: Report | None = None,
        timestamps: Report | None = None,
    ) -> None:
        self.messages = messages
        self.directory = directory
        self.pdf = pdf
        self.timestamps = timestamps

    async def detailed(
        self, message_id: str, *, only: str | None, shown: Collection[str] | None
    ) -> dict[str, Any]:
        """The status JSON of :meth:`__call__` narrowed to ``shown`` recipients (a leader's
        scope; ``None``: all), each with ``last_seen_at`` ("why no receipt?": has it called
        at all?), and the ``pdf_signatures`` and ``timestamps`` reports."""
        status = await self(message_id, only=only)
        if shown is not None:
            status["recipients"] = [r for r in status["recipients"] if r["unit"] in shown]
        units = [r["unit"] for r in status["recipients"]]
        seen = await self.directory.last_seen_of(units) if self.directory is not None else {}
        for recipient in status["recipients"]:
            at = seen.get(recipient["unit"])
            recipient["last_seen_at"] = at.isoformat() if at else None
        status["pdf_signatures"] = await self.pdf(message_id) if self.pdf is not None else None
        status["timestamps"] = await self.timestamps(message_id) if self.timestamps else None
        return status

    async def __call__(self, message_id: str, *, only: str | None = None) -> dict[str, Any]:
        """The status JSON; ``only`` keeps a single recipient's delivery (and those it
        took over from a retired unit)."""
        status = (await self.messages.status(message_id)).to_json()
        if self.directory is not None:
            await forwarding_notes(self.directory, self.messages, status)
            await person_names(self.directory.db, status)
        if only is not None:
            status["recipients"] = [
                r for r in status["recipients"] if only in (r["unit"], r.get("forwarded_to"))
            ]
        status["complete"] = all(is_final(r["state"]) for r in status["recipients"])
        return status


def _clerks(status: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Each place of ``status`` naming a clerk, as ``(entry, key)``: the sender's and each
    receipt's ``person``, each recipient's ``delivered_by`` (who first opened it)."""
    places = [(status, "person")]
    for r in status["recipients"]:
        places += [(r, "delivered_by"), *((rc, "person") for rc in r["receipts"])]
    return places


async def person_names(db: Any, status: dict[str, Any]) -> None:
    """``person_name`` beside each ``person`` of ``status`` (the clerk who sent it, who
    answered or recalled), ``delivered_by_name`` beside ``delivered_by`` (who first
    opened it): the account's full name, read at read time."""
    places = _clerks(status)
    actors = {entry[key] for entry, key in places if entry.get(key)}
    names = await people.names_of(db, actors) if actors else {}
    for entry, key in places:
        if entry.get(key):
            entry[_name_key(key)] = names.get(entry[key])


def hide_persons(status: dict[str, Any], shown: Callable[[str], bool]) -> None:
    """Drop each clerk (and their name) of ``status`` the reader may not see."""
    for entry, key in _clerks(status):
        if entry.get(key) and not shown(entry[key]):
            entry[key] = None
            entry.pop(_name_key(key), None)


def _name_key(key: str) -> str:
    return "person_name" if key == "person" else f"{key}_name"


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
