"""Builders for verified envelopes and receipts (the message store only needs their shape)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from gateway.envelope.model import Attachment, DocumentMeta, Envelope, Receipt, Status


@dataclass(frozen=True)
class FakeVerifiedEnvelope:
    """The shape of gateway.envelope.verify.VerifiedEnvelope."""

    envelope: Envelope
    xml: bytes
    digest: str
    signer_unit: str


@dataclass(frozen=True)
class FakeVerifiedReceipt:
    """The shape of gateway.envelope.verify.VerifiedReceipt."""

    receipt: Receipt
    xml: bytes
    digest: str
    signer_unit: str


def make_envelope(
    sender: str = "000.00.00.H01",
    recipients: tuple[str, ...] = ("000.00.01.H01", "000.00.02.H01"),
    *,
    message_id: uuid.UUID | None = None,
    subject: str = "Công văn số 12",
    xml: bytes | None = None,
    due_date: date | None = None,
    created: datetime | None = None,
) -> FakeVerifiedEnvelope:
    """A verified envelope whose xml/digest differ when ``xml`` differs."""
    env = Envelope(
        message_id=message_id or uuid.uuid4(),
        sender=sender,
        recipients=recipients,
        created=created or datetime.now(UTC),
        document=DocumentMeta(subject=subject, due_date=due_date),
        attachments=(
            Attachment("a.pdf", "application/pdf", 3, hashlib.sha256(b"abc").hexdigest()),
        ),
    )
    body = xml if xml is not None else f"<Envelope id='{env.message_id}'/>".encode()
    return FakeVerifiedEnvelope(env, body, hashlib.sha256(body).hexdigest(), sender)


def make_receipt(
    verified: FakeVerifiedEnvelope,
    recipient: str,
    status: Status,
    *,
    receipt_id: uuid.UUID | None = None,
    issuer: str | None = None,
    reason: str | None = None,
    digest: str | None = None,
) -> FakeVerifiedReceipt:
    """A verified receipt about ``recipient``'s delivery of ``verified``."""
    r = Receipt(
        receipt_id=receipt_id or uuid.uuid4(),
        message_id=verified.envelope.message_id,
        envelope_digest=digest or verified.digest,
        recipient=recipient,
        status=status,
        timestamp=datetime.now(UTC),
        reason=reason,
        issuer=issuer,
    )
    body = f"<Receipt id='{r.receipt_id}' status='{status.code}'/>".encode()
    return FakeVerifiedReceipt(r, body, hashlib.sha256(body).hexdigest(), issuer or recipient)
