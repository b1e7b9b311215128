"""The deliver step: documents and receipts put into a unit's mailbox (unless there), each
document's delivery moved to ``queued``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.envelope.model import Status
from gateway.errors import NotFoundError
from gateway.store import audit, dialects, transport
from gateway.store.db import execute
from gateway.store.deliveries import TOUCH_QUEUED, deliveries_of, move_deliveries
from gateway.store.dialects import IfNew
from gateway.store.headers import MessageHeader, message_header
from gateway.store.models import MailboxItemRow, ReceiptRow, table, utcnow
from gateway.store.prepared import Prepared

_ITEM_KEY = ["unit", "kind", "ref"]
_ITEM_COLUMNS = [*_ITEM_KEY, "message_id", "sender", "subject", "created_at", "urgency"]
ITEM_IF_NEW = IfNew(MailboxItemRow, _ITEM_COLUMNS, _ITEM_KEY, ["item_id", *_ITEM_KEY])
_ITEM_OF_RECEIPT = table(MailboxItemRow).alias("item")
_SAME_DELIVERY = table(ReceiptRow).alias("this")
#: The receipts of the delivery that receipt ``ref`` is about, each with its mailbox
#: item in ``unit``'s mailbox (``None`` when it has none yet): one statement.
_DELIVERY_RECEIPTS = Prepared(
    select(
        ReceiptRow.receipt_id,
        ReceiptRow.message_id,
        ReceiptRow.recipient,
        ReceiptRow.status_code,
        ReceiptRow.issuer,
        ReceiptRow.at,
        _ITEM_OF_RECEIPT.c.item_id,
        # which question the row answers (one run of the statement per receipt asked)
        bindparam("asked", type_=String).label("asked"),
    )
    .join(
        _SAME_DELIVERY,
        (_SAME_DELIVERY.c.message_id == ReceiptRow.message_id)
        & (_SAME_DELIVERY.c.recipient == ReceiptRow.recipient),
    )
    .outerjoin(
        _ITEM_OF_RECEIPT,
        (_ITEM_OF_RECEIPT.c.unit == bindparam("unit"))
        & (_ITEM_OF_RECEIPT.c.kind == "receipt")
        & (_ITEM_OF_RECEIPT.c.ref == ReceiptRow.receipt_id),
    )
    .where(_SAME_DELIVERY.c.receipt_id == bindparam("ref"))
)
#: One document for :func:`deliver_documents`: message id, recipient, known header.
DocumentDelivery = tuple[str, str, "MessageHeader | None"]


async def deliver_documents(session: AsyncSession, items: Sequence[DocumentDelivery]) -> list[bool]:
    """:func:`deliver` of many documents in a few statements: one read of their deliveries,
    one insert of the mailbox items that are new, one batch of state updates. One result
    per item (``False``: already in the mailbox, or an earlier item of this call)."""
    headers: dict[str, MessageHeader] = {}
    for mid, _unit, known in items:
        if mid not in headers:
            headers[mid] = await message_header(session, mid, known)
    dialect = dialects.of(session)
    if dialect.combined_writes:
        return await _deliver_documents_in_two(session, items, headers)
    deliveries = await deliveries_of(session, [(mid, unit) for mid, unit, _ in items])
    for mid, unit, _ in items:
        if (mid, unit) not in deliveries:
            raise NotFoundError(
                f"message is not addressed to {unit}", code="message.not_found", message_id=mid
            )
    now = utcnow()
    values = [
        _document_item(mid, unit, headers[mid], now)
        for mid, unit in dict.fromkeys((m, u) for m, u, _k in items)
    ]
    rows = await execute(session, ITEM_IF_NEW.on(dialect), values)
    inserted = {(r.unit, r.ref): r.item_id for r in rows}
    results, moves = [], []
    for mid, unit, _ in items:
        item_id = inserted.pop((unit, mid), None)
        results.append(item_id is not None)
        if item_id is None:
            continue
        detail = {"kind": "document", "ref": mid}
        await audit.append(session, "hub", "mailbox.added", mid, unit, detail)
        delivery = deliveries[(mid, unit)]
        new = transport.advance_transport(delivery.state, transport.QUEUED)
        if new != delivery.state:
            moves.append((delivery, new))
    await move_deliveries(session, moves, "hub")
    return results


def _document_item(mid: str, unit: str, header: MessageHeader, now: datetime) -> dict[str, Any]:
    """The mailbox item of document ``mid`` in ``unit``'s mailbox."""
    return {
        "unit": unit,
        "kind": "document",
        "message_id": mid,
        "ref": mid,
        "sender": header.sender,
        "subject": header.subject,
        "created_at": now,
        "urgency": header.urgency,
    }


async def _deliver_documents_in_two(
    session: AsyncSession, items: Sequence[DocumentDelivery], headers: dict[str, MessageHeader]
) -> list[bool]:
    """:func:`deliver_documents` on PostgreSQL in two statements: insert the new mailbox
    items, then move every item's delivery to ``queued`` (``TOUCH_QUEUED``, which also says
    that each delivery exists; a missing one raises, and the transaction with it)."""
    now = utcnow()
    pairs = list(dict.fromkeys((mid, unit) for mid, unit, _ in items))
    values = [_document_item(mid, unit, headers[mid], now) for mid, unit in pairs]
    new_items = await execute(session, ITEM_IF_NEW.on(dialects.of(session)), values)
    inserted = {(r.unit, r.ref) for r in new_items}
    wanted = [{"mid": mid, "unit": unit, "at": now} for mid, unit in pairs]
    rows = await execute(session, TOUCH_QUEUED, wanted)
    touched = {(r.message_id, r.recipient): r for r in rows}
    for mid, unit in pairs:
        if (mid, unit) not in touched:
            raise NotFoundError(
                f"message is not addressed to {unit}", code="message.not_found", message_id=mid
            )
    results = []
    for mid, unit, _ in items:
        new = (unit, mid) in inserted
        inserted.discard((unit, mid))
        results.append(new)
        if new:
            detail = {"kind": "document", "ref": mid}
            await audit.append(session, "hub", "mailbox.added", mid, unit, detail)
    for row in touched.values():
        if transport.advance_transport(row.old_state, transport.QUEUED) != row.old_state:
            detail = {"from": row.old_state, "to": transport.QUEUED}
            await audit.append(
                session, "hub", "delivery.queued", row.message_id, row.recipient, detail
            )
    return results


async def deliver(
    session: AsyncSession,
    message_id: str,
    recipient: str,
    kind: str,
    ref: str,
    known: MessageHeader | None = None,
) -> bool:
    """Put a document (``ref`` = its message id) or receipt into ``recipient``'s mailbox
    unless it is there."""
    if kind == "document" and ref == message_id:
        return (await deliver_documents(session, [(message_id, recipient, known)]))[0]
    if kind != "receipt":
        raise ValueError(f"unknown mailbox item kind {kind!r}")
    return (await deliver_receipts(session, [(message_id, recipient, ref, known)]))[0]


#: One receipt for :func:`deliver_receipts`: message id, mailbox unit, receipt id, header.
ReceiptDelivery = tuple[str, str, str, "MessageHeader | None"]


async def deliver_receipts(session: AsyncSession, items: Sequence[ReceiptDelivery]) -> list[bool]:
    """Put receipts into mailboxes, unless there: one read of their deliveries' receipts,
    one insert of the new items. One result per item (``False``: already in the mailbox,
    or put there by an earlier item of this call).

    The bus may hand over a delivery's receipts out of order (concurrent publishes and
    handlers): the earlier ones (issued before, so committed) go in first, so that a
    mailbox always lists one delivery's receipts in the order they were issued.
    """
    headers: dict[str, MessageHeader] = {}
    for mid, _unit, _ref, known in items:
        if mid not in headers:
            headers[mid] = await message_header(session, mid, known)
    asked = [{"ref": ref, "unit": unit, "asked": ref} for _m, unit, ref, _k in items]
    by_ref: dict[str, list[Any]] = {}
    for row in await execute(session, _DELIVERY_RECEIPTS, asked):
        by_ref.setdefault(row.asked, []).append(row)
    planned: dict[tuple[str, str], dict[str, Any]] = {}
    own: list[tuple[str, str] | None] = []
    for mid, unit, ref, _known in items:
        rows = by_ref.get(ref, [])
        receipt = next((r for r in rows if r.receipt_id == ref), None)
        if receipt is None or receipt.message_id != mid:
            raise NotFoundError(f"no receipt {ref}", code="not_found", message_id=mid)
        if receipt.item_id is not None or (unit, ref) in planned:
            own.append(None)
            continue
        message = headers[mid]
        for earlier in _earlier_receipts(rows, receipt, unit, message.sender):
            key = (unit, earlier.receipt_id)
            if key not in planned:
                planned[key] = _receipt_item(message, unit, earlier.receipt_id, earlier.issuer)
        planned[(unit, ref)] = _receipt_item(message, unit, ref, receipt.issuer)
        own.append((unit, ref))
    values = list(planned.values())
    rows = await execute(session, ITEM_IF_NEW.on(dialects.of(session)), values) if values else []
    added = {(r.unit, r.ref) for r in rows}
    for value in values:
        if (value["unit"], value["ref"]) in added:
            detail = {"kind": "receipt", "ref": value["ref"]}
            await audit.append(
                session, "hub", "mailbox.added", value["message_id"], value["unit"], detail
            )
    return [key is not None and key in added for key in own]


def _receipt_item(message: MessageHeader, unit: str, ref: str, sender: str) -> dict[str, Any]:
    """The mailbox item of receipt ``ref`` in ``unit``'s mailbox (``sender``: its issuer)."""
    return {
        "unit": unit,
        "kind": "receipt",
        "message_id": message.id,
        "ref": ref,
        "sender": sender,
        "subject": message.subject,
        "created_at": utcnow(),
        "urgency": 0,
    }


def _issue_order(r: Any) -> tuple[Any, str, str]:
    """Receipts of one delivery in the order they were issued (the state only moves on)."""
    return (r.at, r.status_code, r.receipt_id)


def _earlier_receipts(rows: Sequence[Any], receipt: Any, unit: str, sender: str) -> list[Any]:
    """Of a delivery's receipts (rows of ``_DELIVERY_RECEIPTS``), those routed to ``unit``,
    issued before ``receipt``, whose mailbox item does not exist yet; in issue order."""
    found = []
    for r in rows:
        target = r.recipient if r.status_code == Status.RECALL_REQUESTED.code else sender
        if (
            target == unit
            and r.item_id is None
            and r.receipt_id != receipt.receipt_id
            and _issue_order(r) < _issue_order(receipt)
        ):
            found.append(r)
    return sorted(found, key=_issue_order)
