"""The write transactions of the message store (each runs in a session it is given).

Kept apart from :mod:`gateway.store.messages` so that the public methods stay short; every
function here appends its audit entries in the same transaction as its state change.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import bindparam, insert, select, update
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
from gateway.store.records import (
    AcceptResult,
    StoredAttachment,
    StoredMessage,
    VerifiedEnvelopeLike,
    VerifiedReceiptLike,
)

DOCUMENTS = "documents"
RECEIPTS = "receipts"

# Statements built once: building and cache-keying a statement per call cost more CPU
# than running it.
_HEADER = select(
    MessageRow.id, MessageRow.sender, MessageRow.subject, MessageRow.envelope_digest
).where(MessageRow.id == bindparam("mid"))
_DELIVERY = select(DeliveryRow).where(
    DeliveryRow.message_id == bindparam("mid"), DeliveryRow.recipient == bindparam("unit")
)
_DELIVERY_LOCKED = _DELIVERY.with_for_update()
_HAS_ITEM = (
    select(MailboxItemRow.item_id)
    .where(
        MailboxItemRow.unit == bindparam("unit"),
        MailboxItemRow.kind == bindparam("kind"),
        MailboxItemRow.ref == bindparam("ref"),
    )
    .limit(1)
)
_INSERT_MESSAGE = insert(MessageRow)
_INSERT_ATTACHMENT = insert(AttachmentRow)
_INSERT_DELIVERY = insert(DeliveryRow)
_INSERT_OUTBOX = insert(OutboxEntryRow)
_INSERT_ITEM = insert(MailboxItemRow)
_INSERT_RECEIPT = insert(ReceiptRow)
_ACK_DOCUMENT = (
    update(MailboxItemRow)
    .where(
        MailboxItemRow.unit == bindparam("b_unit"),
        MailboxItemRow.kind == "document",
        MailboxItemRow.message_id == bindparam("b_mid"),
        MailboxItemRow.acked_at.is_(None),
    )
    .values(acked_at=bindparam("b_at"))
    .returning(MailboxItemRow.item_id)
)


class MessageHeader(Protocol):
    """The few columns of a message the write paths need (a row of ``_HEADER``)."""

    @property
    def id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def envelope_digest(self) -> str: ...


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


async def message_header(session: AsyncSession, message_id: str) -> MessageHeader:
    """Id, sender, subject and digest of a message (not its XML); ``message.not_found``."""
    row = (await session.execute(_HEADER, {"mid": message_id})).first()
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    header: MessageHeader = row
    return header


def _utc(value: datetime) -> datetime:
    """As :class:`~gateway.store.models.UTCDateTime` gives it back from the database."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def insert_message(
    session: AsyncSession, verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str
) -> StoredMessage:
    """Insert the message, its attachments, deliveries and outbox rows; the message as
    :func:`~gateway.store.queries.stored_message` would read it back."""
    env, now = verified.envelope, utcnow()
    mid = str(env.message_id)
    await session.execute(
        _INSERT_MESSAGE,
        {
            "id": mid,
            "sender": env.sender,
            "subject": env.document.subject,
            "kind": env.kind.value,
            "refers_to": str(env.refers_to) if env.refers_to else None,
            "created_at": env.created,
            "expires_at": env.expires,
            "due_date": env.document.due_date,
            "envelope_digest": verified.digest,
            "envelope_xml": verified.xml,
            "submitted_by": submitted_by,
            "accepted_at": now,
        },
    )
    if env.attachments:
        await session.execute(
            _INSERT_ATTACHMENT,
            [
                {
                    "message_id": mid,
                    "name": a.name,
                    "media_type": a.media_type,
                    "size": a.size,
                    "sha256": a.sha256,
                }
                for a in env.attachments
            ],
        )
    await session.execute(
        _INSERT_DELIVERY,
        [
            {"message_id": mid, "recipient": u, "state": states.SUBMITTED, "updated_at": now}
            for u in units
        ],
    )
    await session.execute(
        _INSERT_OUTBOX,
        [
            outbox_values(
                DOCUMENTS, u, mid, body(message_id=mid, recipient=u, kind="document"), now
            )
            for u in units
        ],
    )
    await audit.append(
        session,
        submitted_by,
        "message.accepted",
        mid,
        env.sender,
        {"recipients": units, "digest": verified.digest, "signer": verified.signer_unit},
    )
    return StoredMessage(
        mid,
        env.sender,
        env.document.subject,
        env.kind.value,
        str(env.refers_to) if env.refers_to else None,
        _utc(env.created),
        _utc(env.expires) if env.expires else None,
        env.document.due_date,
        verified.digest,
        submitted_by,
        now,
        tuple(units),
        tuple(StoredAttachment(a.name, a.media_type, a.size, a.sha256) for a in env.attachments),
    )


def outbox_values(
    topic: str, recipient: str, message_id: str, body: bytes, now: Any = None
) -> dict[str, Any]:
    """The columns of one outbox row, for ``_INSERT_OUTBOX``."""
    return {
        "topic": topic,
        "routing_key": recipient,
        "body": body,
        "message_id": message_id,
        "created_at": now or utcnow(),
        "attempts": 0,
    }


async def get_delivery(
    session: AsyncSession, message_id: str, recipient: str, *, lock: bool = True
) -> DeliveryRow:
    query = _DELIVERY_LOCKED if lock else _DELIVERY
    params = {"mid": message_id, "unit": recipient}
    row = (await session.execute(query, params)).scalar_one_or_none()
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
    await advance_row(session, await get_delivery(session, message_id, recipient), target, actor)


async def advance_row(session: AsyncSession, row: DeliveryRow, target: str, actor: str) -> None:
    """:func:`advance` for a delivery row already read (and locked) in this transaction."""
    new = states.advance_transport(row.state, target)
    if new != row.state:
        old, row.state, row.updated_at = row.state, new, utcnow()
        detail = {"from": old, "to": new}
        await audit.append(session, actor, f"delivery.{new}", row.message_id, row.recipient, detail)


async def deliver(
    session: AsyncSession, message_id: str, recipient: str, kind: str, ref: str
) -> bool:
    message = await message_header(session, message_id)
    if kind == "document":
        delivery = await get_delivery(session, message_id, recipient)
        if not await _add_item(session, message, recipient, kind, ref, message.sender):
            return False
        await advance_row(session, delivery, states.QUEUED, "hub")
        return True
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
    params = {"unit": unit, "kind": kind, "ref": ref}
    return (await session.execute(_HAS_ITEM, params)).first() is not None


async def _add_item(
    session: AsyncSession,
    message: MessageHeader,
    recipient: str,
    kind: str,
    ref: str,
    sender: str,
) -> bool:
    """Insert one mailbox item (audited) unless it is there; ``False`` if it was."""
    message_id = message.id
    if await _has_item(session, recipient, kind, ref):
        return False
    await session.execute(
        _INSERT_ITEM,
        {
            "unit": recipient,
            "kind": kind,
            "message_id": message_id,
            "ref": ref,
            "sender": sender,
            "subject": message.subject,
            "created_at": utcnow(),
        },
    )
    await audit.append(
        session, "hub", "mailbox.added", message_id, recipient, {"kind": kind, "ref": ref}
    )
    return True


async def insert_receipt(session: AsyncSession, verified: VerifiedReceiptLike) -> None:
    r = verified.receipt
    message = await message_header(session, str(r.message_id))
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
    await session.execute(
        _INSERT_RECEIPT,
        {
            "receipt_id": rid,
            "message_id": message.id,
            "recipient": r.recipient,
            "status_code": r.status.code,
            "status_name": r.status.label,
            "reason": r.reason,
            "issuer": issuer,
            "at": r.timestamp,
            "receipt_xml": verified.xml,
            "digest": verified.digest,
        },
    )
    target = r.recipient if recall else message.sender
    receipt_body = body(receipt_id=rid, message_id=message.id, recipient=target, kind="receipt")
    await session.execute(_INSERT_OUTBOX, outbox_values(RECEIPTS, target, message.id, receipt_body))
    detail: dict[str, Any] = {
        "receipt_id": rid,
        "status": r.status.code,
        "from": old,
        "to": delivery.state,
        "reason": r.reason,
    }
    await audit.append(session, issuer, "receipt.added", message.id, r.recipient, detail)


async def ack_document(session: AsyncSession, unit: str, message_id: str) -> bool:
    """Take ``unit``'s document item for ``message_id`` off its pending list (audited);
    ``True`` if it was pending."""
    params = {"b_unit": unit, "b_mid": message_id, "b_at": utcnow()}
    item_ids = list((await session.execute(_ACK_DOCUMENT, params)).scalars())
    if not item_ids:
        return False
    detail = {"item_id": item_ids[0], "kind": "document", "ref": message_id}
    await audit.append(session, unit, "mailbox.acked", message_id, unit, detail)
    return True
