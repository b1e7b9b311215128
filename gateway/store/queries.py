"""Read-side queries of the message store: status timeline, search, summaries, overdue.

Each function runs inside a session the :class:`~gateway.store.messages.MessageStore`
opened; none of them writes.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, bindparam, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gateway.deadlines.calendar import VIETNAM
from gateway.envelope.model import UNIT_CODE_RE
from gateway.errors import GatewayError, NotFoundError, RequestError
from gateway.store import dialects
from gateway.store.changes import (
    CHANGING_KINDS,
    document_state,
    load_changes,
    one_of,
    shown_state,
    withdrawn,
)
from gateway.store.db import Database
from gateway.store.dialects import Dialect
from gateway.store.lineage import related_codes
from gateway.store.models import (
    AttachmentRow,
    DeliveryRow,
    MailboxItemRow,
    MessageRow,
    OutboxEntryRow,
    ReceiptRow,
    UnitRow,
    table,
)
from gateway.store.prepared import Prepared
from gateway.store.records import (
    MailboxItem,
    MessageStatus,
    MessageSummary,
    OutboxRow,
    OverdueDelivery,
    ReceiptInfo,
    RecipientStatus,
    SearchFilters,
    SearchPage,
    StoredAttachment,
    StoredMessage,
    StoredReceipt,
    UnitSummary,
)
from gateway.text import fold
from gateway.untrusted import clamp_datetime, parse_json
from gateway.urgency import rank

__all__ = [
    "decode_cursor",
    "encode_cursor",
    "overdue",
    "pending",
    "search",
    "status",
    "stored_message",
    "stored_receipt",
    "unconsumed_published",
    "unit_summaries",
]

MAX_PAGE = 500
#: At most this many units a unit filter's name matches (by code).
_MAX_UNIT_MATCHES = 1000
_ITEMS = table(MailboxItemRow)
#: The columns of a :class:`MailboxItem`, in its order (Core: no ORM objects to build).
_PENDING = select(
    *(
        _ITEMS.c[n]
        for n in (
            "item_id",
            "unit",
            "kind",
            "message_id",
            "ref",
            "sender",
            "subject",
            "created_at",
            "fetched_at",
        )
    )
)
_MSG = table(MessageRow).alias("msg")
_CHANGE = table(MessageRow).alias("later")
#: A pending item's document kind and reference, and the newest document changing it.
_LINKS = (
    select(_MSG.c.kind).where(_MSG.c.id == _ITEMS.c.message_id).scalar_subquery(),
    select(_MSG.c.refers_to).where(_MSG.c.id == _ITEMS.c.message_id).scalar_subquery(),
    select(_CHANGE.c.id)
    .where(_CHANGE.c.refers_to == _ITEMS.c.message_id, one_of(_CHANGE.c.kind, CHANGING_KINDS))
    .order_by(_CHANGE.c.created_at.desc(), _CHANGE.c.id.desc())
    .limit(1)
    .scalar_subquery(),
    select(_CHANGE.c.kind)
    .where(_CHANGE.c.refers_to == _ITEMS.c.message_id, one_of(_CHANGE.c.kind, CHANGING_KINDS))
    .order_by(_CHANGE.c.created_at.desc(), _CHANGE.c.id.desc())
    .limit(1)
    .scalar_subquery(),
)
#: States that need nothing more from anyone (not overdue any longer).
#: A unit's unacked items, oldest first (``:unit``, at most ``:lim``).
_UNACKED_OF = _PENDING.add_columns(*_LINKS, _ITEMS.c.urgency).where(
    _ITEMS.c.unit == bindparam("unit"),
    _ITEMS.c.acked_at.is_(None),
    ~withdrawn(_ITEMS.c.message_id, _ITEMS.c.kind, _ITEMS.c.fetched_at),
)
#: The unit's unacked items of normal urgency, and its urgent ones, each oldest first.
_UNACKED = Prepared(
    _UNACKED_OF.where(_ITEMS.c.urgency == 0).order_by(_ITEMS.c.item_id).limit(bindparam("lim"))
)
_UNACKED_URGENT = Prepared(
    _UNACKED_OF.where(_ITEMS.c.urgency > 0).order_by(_ITEMS.c.item_id).limit(bindparam("lim"))
)


async def _message(session: AsyncSession, message_id: str) -> MessageRow:
    row = await session.get(MessageRow, message_id)
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    return row


async def stored_message(session: AsyncSession, message_id: str) -> StoredMessage:
    """The message row with recipients and attachments."""
    m = await _message(session, message_id)
    recipients = (
        await session.execute(
            select(DeliveryRow.recipient)
            .where(DeliveryRow.message_id == m.id)
            .order_by(DeliveryRow.id)
        )
    ).scalars()
    files = (
        await session.execute(
            select(AttachmentRow).where(AttachmentRow.message_id == m.id).order_by(AttachmentRow.id)
        )
    ).scalars()
    return StoredMessage(
        m.id,
        m.sender,
        m.subject,
        m.kind,
        m.refers_to,
        m.created_at,
        m.expires_at,
        m.due_date,
        m.envelope_digest,
        m.submitted_by,
        m.accepted_at,
        tuple(recipients),
        tuple(StoredAttachment(a.name, a.media_type, a.size, a.sha256) for a in files),
        m.urgency,
    )


async def stored_receipt(session: AsyncSession, receipt_id: str) -> StoredReceipt:
    """One receipt with its XML."""
    r = await session.get(ReceiptRow, receipt_id)
    if r is None:
        raise NotFoundError(f"no receipt {receipt_id}", code="not_found")
    return StoredReceipt(
        r.receipt_id,
        r.message_id,
        r.recipient,
        r.status_code,
        r.status_name,
        r.reason,
        r.issuer,
        r.at,
        r.digest,
        r.receipt_xml,
    )


async def pending(db: Database, unit: str, limit: int) -> list[MailboxItem]:
    """A unit's unacked mailbox items, urgent documents ahead by their head start
    (:func:`gateway.urgency.rank`), else oldest first (two reads, no session: long-polls
    run it for every wake-up). Items of normal urgency (receipts among them) keep their
    order among themselves."""
    lim = max(1, min(limit, MAX_PAGE))
    params = {"unit": unit, "lim": lim}
    normal = [MailboxItem(*row) for row in await db.query(_UNACKED, params)]
    urgent = [MailboxItem(*row) for row in await db.query(_UNACKED_URGENT, params)]
    if not urgent:
        return normal
    urgent.sort(key=lambda i: (rank(i.created_at, i.urgency), i.item_id))
    merged = heapq.merge(normal, urgent, key=lambda i: (rank(i.created_at, i.urgency), i.item_id))
    return list(merged)[:lim]


async def status(session: AsyncSession, message_id: str) -> MessageStatus:
    """Every delivery of the message with its receipts in time order."""
    m = await _message(session, message_id)
    deliveries = (
        (
            await session.execute(
                select(DeliveryRow).where(DeliveryRow.message_id == m.id).order_by(DeliveryRow.id)
            )
        )
        .scalars()
        .all()
    )
    receipts = (
        await session.execute(
            select(ReceiptRow)
            .where(ReceiptRow.message_id == m.id)
            .order_by(ReceiptRow.at, ReceiptRow.status_code, ReceiptRow.receipt_id)
        )
    ).scalars()
    by_unit: dict[str, list[ReceiptInfo]] = defaultdict(list)
    for r in receipts:
        by_unit[r.recipient].append(
            ReceiptInfo(
                r.receipt_id, r.status_code, r.status_name, r.at, r.issuer, r.reason, r.claimed_at
            )
        )
    recipients = tuple(
        RecipientStatus(d.recipient, d.state, d.updated_at, tuple(by_unit[d.recipient]))
        for d in deliveries
    )
    found = await load_changes(session, [m.id])
    return MessageStatus(
        m.id,
        m.sender,
        m.subject,
        m.kind,
        m.created_at,
        m.due_date,
        recipients,
        refers_to=m.refers_to,
        changed_by=tuple(found.of(m.id)),
        urgency=m.urgency,
        due_received_at=m.due_received_at,
        due_completed_at=m.due_completed_at,
    )


def encode_cursor(created_at: datetime, message_id: str) -> str:
    """An opaque cursor for keyset pagination."""
    raw = json.dumps([created_at.isoformat(), message_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor stands for; ``request.invalid`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, message_id = parse_json(raw, "the cursor")
        return clamp_datetime(datetime.fromisoformat(at)), str(message_id)
    except (ValueError, TypeError, binascii.Error, GatewayError) as exc:
        raise RequestError("bad cursor", code="request.invalid") from exc


async def search(
    session: AsyncSession, filters: SearchFilters, cursor: str | None, limit: int
) -> SearchPage:
    """Messages matching every given filter, newest first, keyset-paginated.

    ``unit`` is a unit code or any part of a unit's name (folded like the subject: no
    case, no diacritics); when it names no unit of the directory the page has a hint."""
    limit = max(1, min(limit, MAX_PAGE))
    units: tuple[tuple[str, str], ...] = ()
    if filters.unit:
        units = await _matching_units(session, filters.unit)
    query = select(
        MessageRow.id,
        MessageRow.sender,
        MessageRow.subject,
        MessageRow.kind,
        MessageRow.created_at,
        MessageRow.due_date,
        MessageRow.urgency,
    )
    codes = [code for code, _ in units]
    if filters.unit and not UNIT_CODE_RE.fullmatch(filters.unit.strip().upper()) and not codes:
        return SearchPage((), None, units, _no_unit_hint(filters.unit))
    for condition in _conditions(filters, codes, dialects.of(session)):
        query = query.where(condition)
    if cursor:
        at, last_id = decode_cursor(cursor)
        query = query.where(
            or_(
                MessageRow.created_at < at,
                and_(MessageRow.created_at == at, MessageRow.id < last_id),
            )
        )
    query = query.order_by(MessageRow.created_at.desc(), MessageRow.id.desc()).limit(limit + 1)
    rows = (await session.execute(query)).all()
    page, more = rows[:limit], len(rows) > limit
    counts = await _state_counts(session, [r.id for r in page])
    found = await load_changes(session, [r.id for r in page])
    items = tuple(
        MessageSummary(
            r.id,
            r.sender,
            r.subject,
            r.kind,
            r.created_at,
            r.due_date,
            counts.get(r.id, {}),
            document_state(found.of(r.id)),
            r.urgency,
        )
        for r in page
    )
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if more and page else None
    hint = _no_unit_hint(filters.unit) if filters.unit and not any(n for _, n in units) else None
    return SearchPage(items, next_cursor, units, hint)


def _no_unit_hint(text: str) -> str:
    return (
        f"no unit of the directory has the code {text.strip()!r} or a name containing it; "
        "give a unit code (000.00.00.H01) or a part of its name, with or without diacritics"
    )


def _like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped by a backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(
    column: ColumnElement[str] | InstrumentedAttribute[str], key: str, dialect: Dialect
) -> ColumnElement[bool]:
    """``column`` holds ``key`` (see :meth:`Dialect.like`)."""
    return dialect.like(column, _like_pattern(key))


async def _matching_units(session: AsyncSession, text: str) -> tuple[tuple[str, str], ...]:
    """Units whose code is ``text`` (any case) or whose folded name contains it; when
    none is, a well-formed code is kept (a unit no longer in the directory), with no name."""
    code, key = text.strip().upper(), fold(text)
    conds = [_contains(UnitRow.name_key, key, dialects.of(session))] if key else []
    if UNIT_CODE_RE.fullmatch(code):
        conds.append(UnitRow.code == code)
    if not conds:
        return ()
    query = (
        select(UnitRow.code, UnitRow.name)
        .where(or_(*conds))
        .order_by(UnitRow.code)
        .limit(_MAX_UNIT_MATCHES)
    )
    found = tuple((r.code, r.name) for r in (await session.execute(query)).all())
    if not found and UNIT_CODE_RE.fullmatch(code):
        return ((code, ""),)
    if UNIT_CODE_RE.fullmatch(code):  # a retired, merged or re-coded unit: its lineage too
        found += tuple(u for u in await related_codes(session, code) if u not in found)
    return found


def _delivered(*extra: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(DeliveryRow.message_id == MessageRow.id, *extra)


def _delivered_to(units: list[str], dialect: Dialect) -> ColumnElement[bool]:
    """A delivery to one of ``units``. Several units on PostgreSQL: probed per message
    (``OFFSET 0`` keeps the planner from hashing every delivery of every unit first,
    which grows with their traffic, while the newest-first scan stops after a page)."""
    if not dialect.probe_per_message or len(units) == 1:
        return _delivered(DeliveryRow.recipient.in_(units))
    probe = select(DeliveryRow.id).where(
        DeliveryRow.message_id == MessageRow.id, DeliveryRow.recipient.in_(units)
    )
    return probe.offset(0).exists()


def _conditions(f: SearchFilters, units: list[str], dialect: Dialect) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if units:
        conds.append(or_(MessageRow.sender.in_(units), _delivered_to(units, dialect)))
    if f.within is not None:
        scope = sorted(f.within)
        conds.append(
            or_(MessageRow.sender.in_(scope), _delivered(DeliveryRow.recipient.in_(scope)))
        )
    if f.sender:
        conds.append(MessageRow.sender == f.sender)
    if f.state:
        conds.append(_delivered(DeliveryRow.state == f.state))
    if f.since:
        conds.append(MessageRow.created_at >= f.since)
    if f.until:
        conds.append(MessageRow.created_at < f.until)
    text = (f.text or "").strip()
    if key := fold(text):
        by_subject = _contains(MessageRow.subject_key, key, dialect)
        conds.append(or_(by_subject, MessageRow.id == text))
    return conds


async def _state_counts(session: AsyncSession, ids: list[str]) -> dict[str, dict[str, int]]:
    if not ids:
        return {}
    shown = (
        select(DeliveryRow.message_id, _shown_state())
        .where(DeliveryRow.message_id.in_(ids))
        .subquery()
    )
    query = select(shown.c.message_id, shown.c.state, func.count()).group_by(
        shown.c.message_id, shown.c.state
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for message_id, state, n in (await session.execute(query)).all():
        counts[message_id][state] = n
    return counts


def _shown_state() -> Any:
    """A delivery's state as counted: ``withdrawn`` when its document was revoked or
    replaced before it was fetched (not pending any more)."""
    return shown_state(DeliveryRow.message_id, DeliveryRow.state).label("state")


async def unit_summaries(session: AsyncSession, unit: str | None) -> list[UnitSummary]:
    """Counters per unit of the directory (or just ``unit``)."""
    units_q = select(UnitRow).order_by(UnitRow.code)
    if unit:
        units_q = units_q.where(UnitRow.code == unit)
    units = (await session.execute(units_q)).scalars().all()
    sent_q = select(MessageRow.sender, func.count()).group_by(MessageRow.sender)
    sent: dict[str, int] = {u: n for u, n in (await session.execute(sent_q)).all()}
    pending_q = (
        select(MailboxItemRow.unit, func.count())
        .where(
            MailboxItemRow.acked_at.is_(None),
            ~withdrawn(MailboxItemRow.message_id, MailboxItemRow.kind, MailboxItemRow.fetched_at),
        )
        .group_by(MailboxItemRow.unit)
    )
    pending_n: dict[str, int] = {u: n for u, n in (await session.execute(pending_q)).all()}
    by_state: dict[str, dict[str, int]] = defaultdict(dict)
    shown = select(DeliveryRow.recipient, _shown_state()).subquery()
    state_q = select(shown.c.recipient, shown.c.state, func.count()).group_by(
        shown.c.recipient, shown.c.state
    )
    for recipient, state, n in (await session.execute(state_q)).all():
        by_state[recipient][state] = n
    return [
        UnitSummary(
            u.code,
            u.name,
            sent.get(u.code, 0),
            sum(by_state[u.code].values()),
            pending_n.get(u.code, 0),
            dict(by_state[u.code]),
            u.last_seen_at,
        )
        for u in units
    ]


async def overdue(
    session: AsyncSession, today: date, limit: int, final_states: Collection[str]
) -> list[OverdueDelivery]:
    """Deliveries not finished whose document was due before ``today`` (its
    ``due_date``), or past the due time to be received or completed that the hub's
    deadline policy gave it (``gateway.deadlines``); revoked and replaced documents and
    deliveries in ``final_states`` (the pipeline's rules) left out. ``due_date`` of a row
    without one: the local day of the due time it missed."""
    now = datetime.now(UTC)
    unanswered = one_of(DeliveryRow.state, ("submitted", "queued", "delivered"))
    withdrawn = exists().where(
        _CHANGE.c.refers_to == MessageRow.id, one_of(_CHANGE.c.kind, ("revoke", "replace"))
    )
    query = (
        select(
            DeliveryRow.message_id,
            DeliveryRow.recipient,
            MessageRow.sender,
            MessageRow.subject,
            MessageRow.due_date,
            DeliveryRow.state,
            MessageRow.due_received_at,
            MessageRow.due_completed_at,
        )
        .join(MessageRow, MessageRow.id == DeliveryRow.message_id)
        .where(
            or_(
                MessageRow.due_date < today,
                MessageRow.due_completed_at < now,
                and_(MessageRow.due_received_at < now, unanswered),
            ),
            DeliveryRow.state.not_in(sorted(final_states)),
            ~withdrawn,
        )
        .order_by(MessageRow.due_date, DeliveryRow.message_id, DeliveryRow.recipient)
        .limit(max(1, min(limit, MAX_PAGE * 10)))
    )
    return [
        OverdueDelivery(
            r.message_id, r.recipient, r.sender, r.subject, _missed_day(r, now), r.state
        )
        for r in (await session.execute(query)).all()
    ]


def _missed_day(row: Any, now: datetime) -> date:
    """The document's due date, else the local day of the due time it missed."""
    if row.due_date is not None:
        return cast(date, row.due_date)
    missed = row.due_completed_at if row.due_completed_at < now else row.due_received_at
    return cast(datetime, missed).astimezone(VIETNAM).date()


async def unconsumed_published(session: AsyncSession, limit: int) -> list[OutboxRow]:
    """Outbox rows marked published whose effect is not stored: a document whose delivery
    is ``queued`` with no mailbox item, a receipt with no mailbox item at its target.

    With the in-process bus these sat in memory when the process died.
    """
    rows = await _unconsumed_documents(session, limit)
    if len(rows) < limit:
        rows += await _unconsumed_receipts(session, limit - len(rows))
    return [OutboxRow(r.id, r.topic, r.routing_key, r.body, r.message_id, r.attempts) for r in rows]


async def _unconsumed_documents(session: AsyncSession, limit: int) -> list[OutboxEntryRow]:
    item = exists().where(
        MailboxItemRow.unit == OutboxEntryRow.routing_key,
        MailboxItemRow.kind == "document",
        MailboxItemRow.ref == OutboxEntryRow.message_id,
    )
    query = (
        select(OutboxEntryRow)
        .join(
            DeliveryRow,
            and_(
                DeliveryRow.message_id == OutboxEntryRow.message_id,
                DeliveryRow.recipient == OutboxEntryRow.routing_key,
            ),
        )
        .where(
            DeliveryRow.state == "queued",
            OutboxEntryRow.topic == "documents",
            OutboxEntryRow.published_at.is_not(None),
            ~item,
        )
        .order_by(OutboxEntryRow.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def _unconsumed_receipts(session: AsyncSession, limit: int) -> list[OutboxEntryRow]:
    target = case((ReceiptRow.status_code == "13", ReceiptRow.recipient), else_=MessageRow.sender)
    item = exists().where(
        MailboxItemRow.unit == target,
        MailboxItemRow.kind == "receipt",
        MailboxItemRow.ref == ReceiptRow.receipt_id,
    )
    # only receipts with a published row towards their target: the ones still waiting for
    # the relay (or whose rows are gone) would otherwise fill the ``limit`` and hide these
    published = exists().where(
        OutboxEntryRow.topic == "receipts",
        OutboxEntryRow.message_id == ReceiptRow.message_id,
        OutboxEntryRow.routing_key == target,
        OutboxEntryRow.published_at.is_not(None),
    )
    missing = (
        select(ReceiptRow.receipt_id, ReceiptRow.message_id)
        .join(MessageRow, MessageRow.id == ReceiptRow.message_id)
        .where(~item, published)
        .limit(limit)
    )
    wanted = {r.receipt_id: r.message_id for r in (await session.execute(missing)).all()}
    if not wanted:
        return []
    query = (
        select(OutboxEntryRow)
        .where(
            OutboxEntryRow.topic == "receipts",
            OutboxEntryRow.message_id.in_(set(wanted.values())),
            OutboxEntryRow.published_at.is_not(None),
        )
        .order_by(OutboxEntryRow.id)
    )
    return [
        r
        for r in (await session.execute(query)).scalars()
        if json.loads(r.body).get("receipt_id") in wanted
    ]
