"""The lists of one unit's documents: received (inbox, incoming register) and sent.

The hub facade answers per message (status, envelope, files, receipts) but has no list
of a unit's own documents; these queries are that list, and each one is bound to the
caller the same way: :func:`gateway.facade.authz.require_unit` first, then only rows where the
caller is the recipient (received) or the sender (sent). Everything a clerk does to one
document afterwards goes through the facade (``Hub.status``, ``Hub.attachment``,
``Hub.post_receipt``, ``Hub.recall``), which authorises it again.

Document metadata (number/notation, type, signer, urgency) lives in the signed envelope,
so each row's envelope is read and parsed, once per hub process (an envelope never
changes once accepted; the newest 20,000 are kept); a list is bounded (:data:`MAX_ROWS`).
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from lxml import etree
from sqlalchemy import select

from gateway.envelope.codec import envelope_from_element
from gateway.envelope.model import DocumentMeta
from gateway.errors import GatewayError
from gateway.facade import authz
from gateway.store.models import DeliveryRow, MessageRow, UnitRow
from gateway.text import fold
from gateway.webmailbox.clock import today_local, year_bounds
from gateway.xmlsafe import parse_xml

__all__ = ["MAX_ROWS", "Entry", "received", "sent", "unit_names", "urgency_name", "urgency_rank"]

#: The most documents one list or register shows.
MAX_ROWS = 2000
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


_META_CACHE: OrderedDict[str, DocumentMeta | None] = OrderedDict()
_META_CACHE_SIZE = 20_000


def urgency_rank(urgency: str | None) -> int:
    """How urgent a document is: 4 hỏa tốc hẹn giờ … 1 khẩn, 0 ordinary (or unknown)."""
    return _URGENT.get(fold(urgency or "").lstrip("0") or "0", 0)


def urgency_name(urgency: str | None) -> str:
    """The Vietnamese name of an urgency (``""`` for ordinary or unknown)."""
    return _URGENCY_NAMES.get(urgency_rank(urgency), "")


@dataclass
class Entry:
    """One document of a unit's list, with the envelope's metadata."""

    message_id: str
    sender: str
    subject: str
    created_at: datetime
    due_date: date | None
    meta: DocumentMeta | None = None
    state: str = ""
    states: dict[str, str] = field(default_factory=dict)  # sent: recipient → state

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


async def received(hub: Any, p: authz.PrincipalLike, year: int | None = None) -> list[Entry]:
    """The documents delivered to the caller's unit, newest first (``year``: sent that
    year, Vietnam's calendar)."""
    unit = authz.require_unit(p)
    query = (
        select(
            MessageRow.id,
            MessageRow.sender,
            MessageRow.subject,
            MessageRow.created_at,
            MessageRow.due_date,
            DeliveryRow.state,
        )
        .join(DeliveryRow, DeliveryRow.message_id == MessageRow.id)
        .where(DeliveryRow.recipient == unit)
    )
    async with hub.db.read() as session:
        rows = (await session.execute(_newest(query, year))).all()
        metas = await _metas(session, [r.id for r in rows])
    return [
        Entry(r.id, r.sender, r.subject, r.created_at, r.due_date, metas[r.id], r.state)
        for r in rows
    ]


async def sent(hub: Any, p: authz.PrincipalLike, year: int | None = None) -> list[Entry]:
    """The documents the caller's unit sent, newest first, each with its recipients' states."""
    unit = authz.require_unit(p)
    query = select(
        MessageRow.id, MessageRow.sender, MessageRow.subject, MessageRow.created_at,
        MessageRow.due_date,
    ).where(MessageRow.sender == unit)  # fmt: skip
    async with hub.db.read() as session:
        rows = (await session.execute(_newest(query, year))).all()
        states: defaultdict[str, dict[str, str]] = defaultdict(dict)
        ids = [r.id for r in rows]
        for start in range(0, len(ids), 500):
            found = await session.execute(
                select(DeliveryRow.message_id, DeliveryRow.recipient, DeliveryRow.state).where(
                    DeliveryRow.message_id.in_(ids[start : start + 500])
                )
            )
            for d in found:
                states[d.message_id][d.recipient] = d.state
        metas = await _metas(session, ids)
    return [
        Entry(
            r.id,
            r.sender,
            r.subject,
            r.created_at,
            r.due_date,
            metas[r.id],
            states=dict(sorted(states[r.id].items())),
        )
        for r in rows
    ]


def _newest(query: Any, year: int | None) -> Any:
    if year is not None:
        start, end = year_bounds(year)
        query = query.where(MessageRow.created_at >= start, MessageRow.created_at < end)
    return query.order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(MAX_ROWS)


async def _metas(session: Any, ids: list[str]) -> dict[str, DocumentMeta | None]:
    """The document metadata of each message in ``ids`` (rows the caller may list);
    envelopes never change once accepted, so each is read and parsed once per process."""
    missing = [i for i in ids if i not in _META_CACHE]
    for start in range(0, len(missing), 500):
        found = await session.execute(
            select(MessageRow.id, MessageRow.envelope_xml).where(
                MessageRow.id.in_(missing[start : start + 500])
            )
        )
        for r in found:
            _META_CACHE[r.id] = _meta(r.envelope_xml)
    while len(_META_CACHE) > _META_CACHE_SIZE:
        _META_CACHE.popitem(last=False)
    return {i: _META_CACHE.get(i) for i in ids}


def _meta(xml: bytes) -> DocumentMeta | None:
    """The document metadata of a stored (already verified) envelope."""
    try:
        return envelope_from_element(parse_xml(xml, max_bytes=len(xml) + 1)).document
    except (GatewayError, etree.LxmlError, ValueError):
        return None


async def unit_names(hub: Any, codes: Iterable[str]) -> dict[str, str]:
    """Each code's name in the directory (the code itself for a unit not there)."""
    wanted = sorted(set(codes))
    names = {code: code for code in wanted}
    if wanted:
        async with hub.db.read() as session:
            found = await session.execute(
                select(UnitRow.code, UnitRow.name).where(UnitRow.code.in_(wanted))
            )
            names.update({r.code: r.name for r in found})
    return names
