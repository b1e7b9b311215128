"""Sample envelopes and receipts for tests and benchmarks."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime

from gateway.envelope.model import Attachment, DocumentMeta, Envelope, Kind, Receipt, Status

SENDER = "000.00.00.H01"
RECIPIENT = "000.00.11.H53"
FIXED_TIME = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)

DEFAULT_ATTACHMENTS = (
    Attachment(
        name="cong-van-12.pdf",
        media_type="application/pdf",
        size=5,
        sha256=hashlib.sha256(b"hello").hexdigest(),
        description="Bản chính",
    ),
)


def sample_envelope(
    *, content_bytes: int = 0, attachments: tuple[Attachment, ...] | None = None
) -> Envelope:
    """A complete envelope (every field set); ``content_bytes`` pads the Content field."""
    return Envelope(
        message_id=uuid.UUID("2f1c6a8e-3b0d-4c55-9a57-0d2d8f9d1e01"),
        sender=SENDER,
        recipients=(RECIPIENT, "000.00.12.H53"),
        groups=("communes-h53",),
        created=FIXED_TIME,
        expires=datetime(2025, 4, 4, 0, 0, tzinfo=UTC),
        kind=Kind.NEW,
        document=DocumentMeta(
            subject="Về việc triển khai liên thông văn bản điện tử",
            number="12",
            notation="HND-VP",
            doc_type="Công văn",
            issued_place="Hà Nội",
            issued_on=date(2025, 3, 3),
            signer_name="Nguyễn Văn A",
            signer_position="Chánh Văn phòng",
            urgency="1",
            confidentiality="0",
            due_date=date(2025, 3, 31),
            page_count=3,
            content="Nội dung " * (content_bytes // 10) if content_bytes else None,
        ),
        attachments=DEFAULT_ATTACHMENTS if attachments is None else attachments,
    )


def sample_receipt(envelope_digest: str = "a" * 64) -> Receipt:
    """A receipt stating 'accepted' for the sample envelope."""
    return Receipt(
        receipt_id=uuid.UUID("7d4e2b1a-0c9f-4e8d-b7a6-5f4e3d2c1b0a"),
        message_id=uuid.UUID("2f1c6a8e-3b0d-4c55-9a57-0d2d8f9d1e01"),
        envelope_digest=envelope_digest,
        recipient=RECIPIENT,
        issuer=RECIPIENT,
        status=Status.ACCEPTED,
        reason="Đã tiếp nhận",
        timestamp=FIXED_TIME,
    )
