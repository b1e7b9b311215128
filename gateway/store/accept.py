"""The accept step's transaction: a message, its attachments, deliveries and outbox rows,
and its audit entries, one insert per table for a group of messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.pdfsig import store as pdf_verdicts
from gateway.store import audit, changes, dialects, outbox_body, transport
from gateway.store.db import execute
from gateway.store.dialects import IfNew, prefixed, prefixed_params
from gateway.store.headers import existing_message
from gateway.store.models import (
    AttachmentRow,
    DeliveryRow,
    MessageRow,
    OutboxEntryRow,
    table,
    utcnow,
)
from gateway.store.outbox import DOCUMENTS, INSERT_OUTBOX, OUTBOX_COLUMNS, outbox_values
from gateway.store.prepared import Prepared, insert_of
from gateway.store.records import (
    AcceptResult,
    StoredAttachment,
    StoredMessage,
    VerifiedEnvelopeLike,
)
from gateway.text import fold, nfc
from gateway.urgency import parse_urgency

_MESSAGE_COLUMNS = [
    "id",
    "sender",
    "subject",
    "subject_key",
    "kind",
    "refers_to",
    "created_at",
    "expires_at",
    "due_date",
    "urgency",
    "due_received_at",
    "due_completed_at",
    "envelope_digest",
    "envelope_xml",
    "submitted_by",
    "accepted_at",
]
_MESSAGE_IF_NEW = IfNew(MessageRow, _MESSAGE_COLUMNS, ["id"], ["id"])
_INSERT_ATTACHMENT = insert_of(
    table(AttachmentRow), ["message_id", "name", "media_type", "size", "sha256"]
)
_DELIVERY_COLUMNS = ["message_id", "recipient", "state", "updated_at"]
_INSERT_DELIVERY = insert_of(table(DeliveryRow), _DELIVERY_COLUMNS)
#: PostgreSQL: a new message's delivery to one unit and that delivery's outbox row, as one
#: statement (the delivery in a data-modifying CTE): one round trip for both tables.
_DELIVERY_AND_OUTBOX = Prepared(
    prefixed(OutboxEntryRow, "o_", OUTBOX_COLUMNS).add_cte(
        prefixed(DeliveryRow, "d_", _DELIVERY_COLUMNS).cte("new_delivery")
    )
)


def _utc(value: datetime) -> datetime:
    """As :class:`~gateway.store.models.UTCDateTime` gives it back from the database."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _message_rows(
    verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The message row, its attachment rows, delivery rows and outbox rows."""
    env = verified.envelope
    mid = str(env.message_id)
    message = {
        "id": mid,
        "sender": env.sender,
        "subject": nfc(env.document.subject),
        "subject_key": fold(env.document.subject),
        "kind": env.kind.value,
        "refers_to": str(env.refers_to) if env.refers_to else None,
        "created_at": env.created,
        "expires_at": env.expires,
        "due_date": env.document.due_date,
        "urgency": int(parse_urgency(env.document.urgency)),
        "due_received_at": getattr(verified, "due_received_at", None),
        "due_completed_at": getattr(verified, "due_completed_at", None),
        "envelope_digest": verified.digest,
        "envelope_xml": verified.xml,
        "submitted_by": submitted_by,
        "accepted_at": now,
    }
    attachments = [
        {
            "message_id": mid,
            "name": a.name,
            "media_type": a.media_type,
            "size": a.size,
            "sha256": a.sha256,
        }
        for a in env.attachments
    ]
    deliveries = [
        {"message_id": mid, "recipient": u, "state": transport.SUBMITTED, "updated_at": now}
        for u in units
    ]
    outbox = [outbox_values(DOCUMENTS, u, mid, outbox_body.document(mid, u), now) for u in units]
    return message, attachments, deliveries, outbox


def _stored(
    verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str, now: datetime
) -> StoredMessage:
    """The message as :func:`~gateway.store.queries.stored_message` would read it back."""
    env = verified.envelope
    return StoredMessage(
        str(env.message_id),
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
        int(parse_urgency(env.document.urgency)),
    )


async def _audit_accepted(
    session: AsyncSession, verified: VerifiedEnvelopeLike, units: list[str], submitted_by: str
) -> None:
    env = verified.envelope
    detail = {"recipients": units, "digest": verified.digest, "signer": verified.signer_unit}
    await audit.append(
        session, submitted_by, "message.accepted", str(env.message_id), env.sender, detail
    )


async def _insert_rows(session: AsyncSession, rows: list[tuple[Any, ...]]) -> None:
    """The attachment, delivery and outbox rows of messages just inserted (on PostgreSQL
    each delivery with its outbox row, one statement)."""
    attachments = [v for row in rows for v in row[1]]
    if attachments:
        await execute(session, _INSERT_ATTACHMENT, attachments)
    deliveries = [v for row in rows for v in row[2]]
    outbox = [v for row in rows for v in row[3]]
    if not deliveries:
        return
    if dialects.of(session).combined_writes:
        pairs = zip(deliveries, outbox, strict=True)
        await execute(session, _DELIVERY_AND_OUTBOX, [prefixed_params(d=d, o=o) for d, o in pairs])
        return
    await execute(session, _INSERT_DELIVERY, deliveries)
    await execute(session, INSERT_OUTBOX, outbox)


async def _checked_change(session: AsyncSession, verified: VerifiedEnvelopeLike) -> None:
    """A revoke/update/replace: ``request.bad_reference`` unless it refers to a document
    of its sender (see :mod:`gateway.store.changes`); the original's audit says so."""
    env = verified.envelope
    if env.kind.value not in changes.CHANGING_KINDS:
        return
    mid, original = str(env.message_id), str(env.refers_to) if env.refers_to else None
    await changes.check_reference(session, mid, env.sender, env.kind.value, original)
    detail = {"by": mid, "kind": env.kind.value}
    action = f"document.{changes.CHANGING_KINDS[env.kind.value]}"
    await audit.append(session, f"unit:{env.sender}", action, original, env.sender, detail)


#: One accept for :func:`accept_messages`: the verified envelope, its recipient units, by.
AcceptWrite = tuple[VerifiedEnvelopeLike, list[str], str]


async def accept_messages(
    session: AsyncSession, items: Sequence[AcceptWrite]
) -> list[tuple[AcceptResult, StoredMessage | None]]:
    """Store envelopes: the messages, their attachments, deliveries and outbox rows, one
    insert per table for all of them. Per item the accept result and, when new, the
    message as :func:`~gateway.store.queries.stored_message` reads it back. A reused id
    with another digest raises ``message.duplicate_id`` (in a group, each write then runs
    alone)."""
    now = utcnow()
    rows = [_message_rows(v, units, by, now) for v, units, by in items]
    statement = _MESSAGE_IF_NEW.on(dialects.of(session))
    inserted = {r.id for r in await execute(session, statement, [row[0] for row in rows])}
    new_rows: list[tuple[Any, ...]] = []
    results: list[tuple[AcceptResult, StoredMessage | None]] = []
    for (verified, units, by), row in zip(items, rows, strict=True):
        mid = str(verified.envelope.message_id)
        if mid in inserted:
            inserted.discard(mid)  # a second item with this id is a resubmission
            await _checked_change(session, verified)
            new_rows.append(row)
            await _audit_accepted(session, verified, units, by)
            await pdf_verdicts.insert_report(session, mid, pdf_verdicts.report_of(verified))
            results.append((AcceptResult(mid, True), _stored(verified, units, by, now)))
        else:
            results.append((await existing_message(session, mid, verified.digest), None))
    await _insert_rows(session, new_rows)
    return results
