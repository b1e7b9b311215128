"""Read-side queries of the message store: a stored message or receipt, a unit's pending
mailbox items, a message's status timeline (search: :mod:`gateway.store.search`; counters
and overdue: :mod:`gateway.store.overview`).

Each function runs inside a session the :class:`~gateway.store.messages.MessageStore`
opened; none of them writes.
"""

from __future__ import annotations

import heapq
from collections import defaultdict

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import NotFoundError
from gateway.store.changes import CHANGING_KINDS, load_changes, one_of, withdrawn
from gateway.store.db import Database
from gateway.store.models import (
    AttachmentRow,
    DeliveryRow,
    MailboxItemRow,
    MessageRow,
    ReceiptRow,
    table,
)
from gateway.store.prepared import Prepared
from gateway.store.records import (
    PERSON_PREFIX,
    MailboxItem,
    MessageStatus,
    ReceiptInfo,
    RecipientStatus,
    StoredAttachment,
    StoredMessage,
    StoredReceipt,
)
from gateway.urgency import rank

__all__ = ["MAX_PAGE", "pending", "status", "stored_message", "stored_receipt"]

MAX_PAGE = 500
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
#: The unit's oldest unacked items of normal urgency and its oldest urgent ones, in one
#: statement (each part keeps its own index-ordered limit).
_UNACKED = Prepared(
    union_all(
        select(
            _UNACKED_OF.where(_ITEMS.c.urgency == 0)
            .order_by(_ITEMS.c.item_id)
            .limit(bindparam("lim"))
            .subquery("normal")
        ),
        select(
            _UNACKED_OF.where(_ITEMS.c.urgency > 0)
            .order_by(_ITEMS.c.item_id)
            .limit(bindparam("lim"))
            .subquery("urgent")
        ),
    )
)


#: What the expiry check needs of a message, without its recipients and attachments.
EXPIRY_FACTS = Prepared(
    select(MessageRow.expires_at, MessageRow.envelope_digest).where(
        MessageRow.id == bindparam("id")
    )
)


async def _message(session: AsyncSession, message_id: str) -> MessageRow:
    row = await session.get(MessageRow, message_id)
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    return row


_MESSAGE_ROW = Prepared(
    select(
        MessageRow.id,
        MessageRow.sender,
        MessageRow.subject,
        MessageRow.kind,
        MessageRow.refers_to,
        MessageRow.created_at,
        MessageRow.expires_at,
        MessageRow.due_date,
        MessageRow.envelope_digest,
        MessageRow.submitted_by,
        MessageRow.accepted_at,
        MessageRow.urgency,
    ).where(MessageRow.id == bindparam("id"))
)
_RECIPIENTS = Prepared(
    select(DeliveryRow.recipient)
    .where(DeliveryRow.message_id == bindparam("id"))
    .order_by(DeliveryRow.id)
)
_FILES = Prepared(
    select(AttachmentRow.name, AttachmentRow.media_type, AttachmentRow.size, AttachmentRow.sha256)
    .where(AttachmentRow.message_id == bindparam("id"))
    .order_by(AttachmentRow.id)
)


async def stored_message(db: Database, message_id: str) -> StoredMessage:
    """The message row with recipients and attachments (three prepared statements, no
    session: a message never changes once accepted, so they need no common snapshot)."""
    params = {"id": message_id}
    m = (await db.query(_MESSAGE_ROW, params)).first()
    if m is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    recipients = tuple(row.recipient for row in await db.query(_RECIPIENTS, params))
    files = tuple(StoredAttachment(*row) for row in await db.query(_FILES, params))
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
        recipients,
        files,
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
    (:func:`gateway.urgency.rank`), else oldest first (one read, no session: long-polls
    run it for every wake-up). Items of normal urgency (receipts among them) keep their
    order among themselves."""
    lim = max(1, min(limit, MAX_PAGE))
    params = {"unit": unit, "lim": lim}
    normal: list[MailboxItem] = []
    urgent: list[MailboxItem] = []
    for row in await db.query(_UNACKED, params):
        item = MailboxItem(*row)
        (urgent if item.urgency > 0 else normal).append(item)
    normal.sort(key=lambda i: i.item_id)
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
                r.receipt_id,
                r.status_code,
                r.status_name,
                r.at,
                r.issuer,
                r.reason,
                r.claimed_at,
                r.person,
            )
        )
    recipients = tuple(
        RecipientStatus(
            d.recipient, d.state, d.updated_at, tuple(by_unit[d.recipient]), d.delivered_by
        )
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
        person=m.submitted_by if m.submitted_by.startswith(PERSON_PREFIX) else None,
    )
