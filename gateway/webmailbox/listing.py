"""The lists of one unit's documents as the pages show them: received (inbox, incoming
register) and sent, with urgency, number/notation and overdue marks.

The lists come from the hub facade (``Hub.own_documents``, authorised by
:func:`gateway.facade.authz.own_documents`), as everything a clerk does to one document does
(``Hub.status``, ``Hub.attachment``, ``Hub.post_receipt``, ``Hub.recall``): the mailbox
reads nothing from the store itself.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gateway.facade import Box, PrincipalLike
from gateway.store.unit_documents import ListedDocument
from gateway.text import fold
from gateway.webmailbox.clock import today_local
from gateway.webmailbox.context import MailboxHub

__all__ = ["Entry", "Listing", "received", "sent", "urgency_name", "urgency_rank"]

_FINISHED = ("completed", "rejected", "expired", "failed", "recall_agreed")
#: Urgency (độ khẩn) as senders write it, folded: the edXML Priority digit (QCVN 102:
#: 0 thường … 4 hỏa tốc hẹn giờ) or its name, in Vietnamese or English.
_URGENT = {
    "1": 1, "khan": 1, "urgent": 1,
    "2": 2, "thuong khan": 2, "very urgent": 2,
    "3": 3, "hoa toc": 3, "flash": 3,
    "4": 4, "hoa toc hen gio": 4, "timed flash": 4,
}  # fmt: skip
_URGENCY_NAMES = {1: "Khẩn", 2: "Thượng khẩn", 3: "Hỏa tốc", 4: "Hỏa tốc hẹn giờ"}


def urgency_rank(urgency: str | None) -> int:
    """How urgent a document is: 4 hỏa tốc hẹn giờ … 1 khẩn, 0 ordinary (or unknown)."""
    return _URGENT.get(fold(urgency or "").lstrip("0") or "0", 0)


def urgency_name(urgency: str | None) -> str:
    """The Vietnamese name of an urgency (``""`` for ordinary or unknown)."""
    return _URGENCY_NAMES.get(urgency_rank(urgency), "")


@dataclass(frozen=True)
class Entry(ListedDocument):
    """One document of a unit's list (the hub's record), as the pages show it.

    ``meta`` is the envelope's metadata; ``state`` the unit's own delivery state
    (received), ``states`` each recipient's (sent).
    """

    @property
    def urgency(self) -> str:
        """The urgency's Vietnamese name (``""`` for ordinary)."""
        return urgency_name(self.meta.urgency if self.meta else None)

    @property
    def urgent(self) -> int:
        """:func:`urgency_rank` of the envelope's urgency."""
        return urgency_rank(self.meta.urgency if self.meta else None)

    @property
    def number_notation(self) -> str:
        """``12/UBND-VP``: the number and notation as one text."""
        if self.meta is None:
            return ""
        return "/".join(p for p in (self.meta.number, self.meta.notation) if p)

    @property
    def overdue(self) -> bool:
        """Past its due date (Vietnam's calendar) and not finished."""
        if self.due_date is None or self.due_date >= today_local():
            return False
        states = [self.state] if self.state else list(self.states.values())
        return any(s not in _FINISHED for s in states)


@dataclass(frozen=True)
class Listing:
    """A list of the session's unit and the names of the units it mentions."""

    entries: list[Entry]
    names: dict[str, str]


async def received(hub: MailboxHub, p: PrincipalLike, year: int | None = None) -> Listing:
    """The documents delivered to the caller's unit, newest first (``year``: sent that
    year, Vietnam's calendar), through the hub facade."""
    return await _listing(hub, p, "received", year)


async def sent(hub: MailboxHub, p: PrincipalLike, year: int | None = None) -> Listing:
    """The documents the caller's unit sent, newest first, each with its recipients' states."""
    return await _listing(hub, p, "sent", year)


async def _listing(hub: MailboxHub, p: PrincipalLike, box: Box, year: int | None) -> Listing:
    found = await hub.own_documents(p, box, year=year)
    entries = [Entry(**{f.name: getattr(d, f.name) for f in fields(d)}) for d in found.documents]
    return Listing(entries, dict(found.names))
