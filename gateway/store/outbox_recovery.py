"""Outbox rows marked published whose effect is not stored (a document ``queued`` with no
mailbox item, a receipt with no mailbox item at its target): with the in-process bus
these sat in memory when the process died, and the recovery publishes them again."""

from __future__ import annotations

from sqlalchemy import and_, case, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store import outbox_body
from gateway.store.models import DeliveryRow, MailboxItemRow, MessageRow, OutboxEntryRow, ReceiptRow
from gateway.store.records import OutboxRow


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
        if outbox_body.decode(r.body, r.routing_key).ref in wanted
    ]
