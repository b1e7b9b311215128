"""The write transactions of the message store (each runs in a session it is given).

Kept apart from :mod:`gateway.store.messages` so that the public methods stay short; every
function here appends its audit entries in the same transaction as its state change.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway import audit
from gateway.envelope.model import Status
from gateway.errors import ConflictError, NotFoundError, ReceiptError
from gateway.pipeline import states
from gateway.store.models import (
    AttachmentRow,
    DeliveryRow,
    MailboxItemRow,
    MessageRow,
    OutboxEntryRow,
    ReceiptRow,
    utcnow,
)
from gateway.store.records import AcceptResult, VerifiedEnvelopeLike, VerifiedReceiptLike

DOCUMENTS = "documents"
RECEIPTS = "receipts"


def body(**fields: str) -> bytes:
    """An outbox body: compact, sorted JSON."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def same_message(existing: MessageRow, digest: str) -> AcceptResult:
    if existing.envelope_digest != digest:
        raise ConflictError(
            "this message id was already used for a different envelope",
            code="message.duplicate_id",
            message_id=existing.id,
        )
    return AcceptResult(existing.id, False)


async def get_message(session: AsyncSession, message_id: str) -> MessageRow:
    row = await session.get(MessageRow, message_id)
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    return row


async def insert_message(
    session: AsyncSession, verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str
) -> None:
    env, now = verified.envelope, utcnow()
    mid = str(env.message_id)
    session.add(
        MessageRow(
            id=mid,
            sender=env.sender,
            subject=env.document.subject,
            kind=env.kind.value,
            refers_to=str(env.refers_to) if env.refers_to else None,
            created_at=env.created,
            expires_at=env.expires,
            due_date=env.document.due_date,
            envelope_digest=verified.digest,
            envelope_xml=verified.xml,
            submitted_by=submitted_by,
            accepted_at=now,
        )
    )
    await session.flush()
    session.add_all(
        AttachmentRow(
            message_id=mid, name=a.name, media_type=a.media_type, size=a.size, sha256=a.sha256
        )
        for a in env.attachments
    )
    for unit in units:
        session.add(
            DeliveryRow(message_id=mid, recipient=unit, state=states.SUBMITTED, updated_at=now)
        )
        session.add(
            outbox(DOCUMENTS, unit, mid, body(message_id=mid, recipient=unit, kind="document"))
        )
    await session.flush()
    await audit.append(
        session,
        submitted_by,
        "message.accepted",
        mid,
        env.sender,
        {"recipients": units, "digest": verified.digest, "signer": verified.signer_unit},
    )


def outbox(topic: str, recipient: str, message_id: str, body: bytes) -> OutboxEntryRow:
    return OutboxEntryRow(
        topic=topic,
        routing_key=recipient,
        body=body,
        message_id=message_id,
        created_at=utcnow(),
        attempts=0,
    )


async def get_delivery(
    session: AsyncSession, message_id: str, recipient: str, *, lock: bool = True
) -> DeliveryRow:
    query = select(DeliveryRow).where(
        and_(DeliveryRow.message_id == message_id, DeliveryRow.recipient == recipient)
    )
    if lock:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise NotFoundError(
            f"message is not addressed to {recipient}",
            code="message.not_found",
            message_id=message_id,
        )
    return row


async def advance(
    session: AsyncSession, message_id: str, recipient: str, target: str, actor: str
) -> None:
    """Move a delivery forward along the transport states (never back); audit a change."""
    row = await get_delivery(session, message_id, recipient)
    new = states.advance_transport(row.state, target)
    if new != row.state:
        old, row.state, row.updated_at = row.state, new, utcnow()
        await audit.append(
            session, actor, f"delivery.{new}", message_id, recipient, {"from": old, "to": new}
        )


async def deliver(
    session: AsyncSession, message_id: str, recipient: str, kind: str, ref: str
) -> bool:
    message = await get_message(session, message_id)
    if kind == "document":
        await get_delivery(session, message_id, recipient)
        return await _add_item(session, message, recipient, kind, ref, message.sender)
    if kind != "receipt":
        raise ValueError(f"unknown mailbox item kind {kind!r}")
    receipt = await session.get(ReceiptRow, ref)
    if receipt is None or receipt.message_id != message_id:
        raise NotFoundError(f"no receipt {ref}", code="not_found", message_id=message_id)
    if await _has_item(session, recipient, kind, ref):
        return False
    # The bus may hand over a delivery's receipts out of order (concurrent publishes and
    # handlers): put the earlier ones (issued before, so committed) in first, so that a
    # mailbox always lists one delivery's receipts in the order they were issued.
    for earlier in await _earlier_receipts(session, receipt, recipient, message.sender):
        await _add_item(session, message, recipient, kind, earlier.receipt_id, earlier.issuer)
    return await _add_item(session, message, recipient, kind, ref, receipt.issuer)


def _issue_order(r: ReceiptRow) -> tuple[Any, str, str]:
    """Receipts of one delivery in the order they were issued (the state only moves on)."""
    return (r.at, r.status_code, r.receipt_id)


async def _earlier_receipts(
    session: AsyncSession, receipt: ReceiptRow, unit: str, sender: str
) -> list[ReceiptRow]:
    """Receipts of the same delivery, routed to ``unit``, issued before ``receipt``, whose
    mailbox item does not exist yet."""
    query = select(ReceiptRow).where(
        ReceiptRow.message_id == receipt.message_id,
        ReceiptRow.recipient == receipt.recipient,
        ReceiptRow.receipt_id != receipt.receipt_id,
    )
    found = []
    for r in (await session.execute(query)).scalars():
        target = r.recipient if r.status_code == Status.RECALL_REQUESTED.code else sender
        if (
            target == unit
            and _issue_order(r) < _issue_order(receipt)
            and not await _has_item(session, unit, "receipt", r.receipt_id)
        ):
            found.append(r)
    return sorted(found, key=_issue_order)


async def _has_item(session: AsyncSession, unit: str, kind: str, ref: str) -> bool:
    seen = select(MailboxItemRow.item_id).where(
        MailboxItemRow.unit == unit, MailboxItemRow.kind == kind, MailboxItemRow.ref == ref
    )
    return (await session.execute(seen)).first() is not None


async def _add_item(
    session: AsyncSession, message: MessageRow, recipient: str, kind: str, ref: str, sender: str
) -> bool:
    """Insert one mailbox item (audited) unless it is there; ``False`` if it was."""
    message_id = message.id
    if await _has_item(session, recipient, kind, ref):
        return False
    session.add(
        MailboxItemRow(
            unit=recipient,
            kind=kind,
            message_id=message_id,
            ref=ref,
            sender=sender,
            subject=message.subject,
            created_at=utcnow(),
        )
    )
    await session.flush()
    await audit.append(
        session, "hub", "mailbox.added", message_id, recipient, {"kind": kind, "ref": ref}
    )
    if kind == "document":
        await advance(session, message_id, recipient, states.QUEUED, "hub")
    return True


async def insert_receipt(session: AsyncSession, verified: VerifiedReceiptLike) -> None:
    r = verified.receipt
    message = await get_message(session, str(r.message_id))
    if r.envelope_digest and r.envelope_digest != message.envelope_digest:
        raise ReceiptError(
            "the receipt answers another envelope",
            code="receipt.digest_mismatch",
            message_id=message.id,
        )
    delivery = await get_delivery(session, message.id, r.recipient)
    recall = r.status is Status.RECALL_REQUESTED
    expected = message.sender if recall else r.recipient
    issuer = r.issuer or expected
    if issuer != expected:
        raise ReceiptError(
            f"{issuer} may not post status {r.status.code} here",
            code="receipt.wrong_party",
            message_id=message.id,
        )
    old = delivery.state
    delivery.state, delivery.updated_at = states.next_state(old, r.status), utcnow()
    rid = str(r.receipt_id)
    session.add(
        ReceiptRow(
            receipt_id=rid,
            message_id=message.id,
            recipient=r.recipient,
            status_code=r.status.code,
            status_name=r.status.label,
            reason=r.reason,
            issuer=issuer,
            at=r.timestamp,
            receipt_xml=verified.xml,
            digest=verified.digest,
        )
    )
    target = r.recipient if recall else message.sender
    session.add(
        outbox(
            RECEIPTS,
            target,
            message.id,
            body(receipt_id=rid, message_id=message.id, recipient=target, kind="receipt"),
        )
    )
    await session.flush()
    detail: dict[str, Any] = {
        "receipt_id": rid,
        "status": r.status.code,
        "from": old,
        "to": delivery.state,
        "reason": r.reason,
    }
    await audit.append(session, issuer, "receipt.added", message.id, r.recipient, detail)
