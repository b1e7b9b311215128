"""One unit's own documents: those delivered to it (inbox, incoming register) and those
it sent (sent list, outgoing register), each with the signed envelope's metadata.

The hub facade (``Hub.own_documents``) calls :func:`list_documents` with the unit that
:func:`gateway.facade.authz.own_documents` allowed; these queries only ever read rows where
that unit is the recipient (received) or the sender (sent).

Document metadata (number/notation, type, signer, urgency) lives in the signed envelope,
so each row's envelope is read and parsed, once per process (an envelope never changes
once accepted; the newest 20,000 are kept); a list is bounded (:data:`MAX_ROWS`).
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final, Literal

from lxml import etree
from sqlalchemy import select

from gateway.envelope.codec import envelope_from_element
from gateway.envelope.model import DocumentMeta
from gateway.errors import GatewayError
from gateway.store.changes import withdrawn_delivery
from gateway.store.models import DeliveryRow, MessageRow, UnitRow
from gateway.xmlsafe import parse_xml

__all__ = [
    "MAX_ROWS", "Box", "ListedDocument", "UnitDocuments", "list_documents", "unit_names",
]  # fmt: skip

#: The most documents one list shows.
MAX_ROWS: Final = 2000
#: ``received``: delivered to the unit; ``sent``: sent by it.
Box = Literal["received", "sent"]
#: A year of the registers is Vietnam's calendar year (UTC+7, no daylight saving).
_VIETNAM = timezone(timedelta(hours=7))
_CHUNK = 500
_META_CACHE: OrderedDict[str, DocumentMeta | None] = OrderedDict()
_META_CACHE_SIZE = 20_000


@dataclass(frozen=True)
class ListedDocument:
    """One document of a unit's list: the stored row and the envelope's metadata."""

    message_id: str
    sender: str
    subject: str
    created_at: datetime
    due_date: date | None
    kind: str = "new"
    refers_to: str | None = None
    meta: DocumentMeta | None = None
    #: received: the unit's own delivery state.
    state: str = ""
    #: sent: each recipient's state, by code.
    states: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnitDocuments:
    """A list and the directory names of every unit it mentions."""

    documents: list[ListedDocument]
    names: dict[str, str]


async def list_documents(db: Any, unit: str, box: Box, year: int | None) -> UnitDocuments:
    """``unit``'s received or sent documents, newest first (``year``: created that year)."""
    async with db.read() as session:
        if box == "received":
            docs = await _received(session, unit, year)
        else:
            docs = await _sent(session, unit, year)
        codes = {unit, *(d.sender for d in docs), *(c for d in docs for c in d.states)}
        names = await _names(session, codes)
    return UnitDocuments(docs, names)


async def unit_names(db: Any, codes: Iterable[str]) -> dict[str, str]:
    """Each code's name in the directory (the code itself for a unit not there)."""
    async with db.read() as session:
        return await _names(session, codes)


_COLUMNS = (
    MessageRow.id,
    MessageRow.sender,
    MessageRow.subject,
    MessageRow.created_at,
    MessageRow.due_date,
    MessageRow.kind,
    MessageRow.refers_to,
)


async def _received(session: Any, unit: str, year: int | None) -> list[ListedDocument]:
    query = (
        select(*_COLUMNS, DeliveryRow.state)
        .join(DeliveryRow, DeliveryRow.message_id == MessageRow.id)
        .where(
            DeliveryRow.recipient == unit,
            # revoked or replaced before the unit fetched it: the unit no longer gets it
            ~withdrawn_delivery(DeliveryRow.message_id, DeliveryRow.state),
        )
    )
    rows = (await session.execute(_newest(query, year))).all()
    metas = await _metas(session, [r.id for r in rows])
    return [_listed(r, metas[r.id], state=r.state) for r in rows]


async def _sent(session: Any, unit: str, year: int | None) -> list[ListedDocument]:
    query = select(*_COLUMNS).where(MessageRow.sender == unit)
    rows = (await session.execute(_newest(query, year))).all()
    ids = [r.id for r in rows]
    states: defaultdict[str, dict[str, str]] = defaultdict(dict)
    for start in range(0, len(ids), _CHUNK):
        found = await session.execute(
            select(DeliveryRow.message_id, DeliveryRow.recipient, DeliveryRow.state).where(
                DeliveryRow.message_id.in_(ids[start : start + _CHUNK])
            )
        )
        for d in found:
            states[d.message_id][d.recipient] = d.state
    metas = await _metas(session, ids)
    return [_listed(r, metas[r.id], states=dict(sorted(states[r.id].items()))) for r in rows]


def _listed(row: Any, meta: DocumentMeta | None, **extra: Any) -> ListedDocument:
    return ListedDocument(
        row.id, row.sender, row.subject, row.created_at, row.due_date, row.kind,
        row.refers_to, meta, **extra,
    )  # fmt: skip


def _newest(query: Any, year: int | None) -> Any:
    if year is not None:
        start = datetime(year, 1, 1, tzinfo=_VIETNAM).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=_VIETNAM).astimezone(UTC)
        query = query.where(MessageRow.created_at >= start, MessageRow.created_at < end)
    return query.order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(MAX_ROWS)


async def _metas(session: Any, ids: list[str]) -> dict[str, DocumentMeta | None]:
    """The document metadata of each message in ``ids`` (rows the caller may list)."""
    missing = [i for i in ids if i not in _META_CACHE]
    for start in range(0, len(missing), _CHUNK):
        found = await session.execute(
            select(MessageRow.id, MessageRow.envelope_xml).where(
                MessageRow.id.in_(missing[start : start + _CHUNK])
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


async def _names(session: Any, codes: Iterable[str]) -> dict[str, str]:
    """Each code's name in the directory (the code itself for a unit not there)."""
    wanted = sorted(set(codes))
    names = {code: code for code in wanted}
    for start in range(0, len(wanted), _CHUNK):
        found = await session.execute(
            select(UnitRow.code, UnitRow.name).where(
                UnitRow.code.in_(wanted[start : start + _CHUNK])
            )
        )
        names.update({r.code: r.name for r in found})
    return names
