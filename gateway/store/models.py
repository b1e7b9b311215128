"""The tables: directory, credentials, messages and their journey, outbox, mailboxes, audit.

The Alembic migrations under ``gateway/store/migrations/versions`` create exactly these;
change both together (``tests/integration/store/test_migrations.py`` compares them).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from gateway.store.model_base import ID, UNIT_CODE, Base, UTCDateTime, table, utcnow
from gateway.text import fold, nfc

__all__ = [
    "AttachmentRow",
    "AuditRow",
    "Base",
    "DeliveryRow",
    "EscalationRow",
    "EscalationSendRow",
    "GroupMemberRow",
    "GroupRow",
    "IdempotencyKeyRow",
    "MailboxItemRow",
    "MessageRow",
    "OutboxEntryRow",
    "PdfVerdictRow",
    "PersonRow",
    "ReceiptRow",
    "TimestampRow",
    "TokenRow",
    "UTCDateTime",
    "UnitChangeRow",
    "UnitLinkRow",
    "UnitRow",
    "table",
    "utcnow",
]


class UnitRow(Base):
    """A unit of the directory tree."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(UNIT_CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    #: :func:`gateway.text.fold` of ``name``, kept in step by :meth:`_name`: search by name.
    name_key: Mapped[str] = mapped_column(String(500), server_default="", index=True)
    parent_code: Mapped[str | None] = mapped_column(UNIT_CODE, ForeignKey("units.code"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    #: From when the code may be addressed (``None``: since it was added); a unit made
    #: by a scheduled merge or re-code starts at the change's instant.
    valid_from: Mapped[datetime | None]
    #: From when the code is retired (``None``: not retired): routing, tokens and
    #: certificates follow its successor from that instant (``gateway.directory.lineage``).
    valid_until: Mapped[datetime | None]

    @validates("name")
    def _name(self, _key: str, value: str) -> str:
        """Every name set through the ORM is NFC, and its search key follows it."""
        value = nfc(value)
        self.name_key = fold(value)
        return value


class UnitLinkRow(Base):
    """One step of lineage: ``predecessor`` is succeeded by ``successor`` at ``effective_at``
    (``kind``: retire, merge, split or recode; the first link of a split forwards)."""

    __tablename__ = "unit_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    predecessor: Mapped[str] = mapped_column(UNIT_CODE, ForeignKey("units.code"), index=True)
    successor: Mapped[str] = mapped_column(UNIT_CODE, ForeignKey("units.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    effective_at: Mapped[datetime]
    created_at: Mapped[datetime]


class UnitChangeRow(Base):
    """A rename or move of ``code`` scheduled for ``effective_at`` (``moves``: the parent
    becomes ``parent``, possibly none); ``applied_at`` once a hub process applied it."""

    __tablename__ = "unit_changes"
    __table_args__ = (
        Index("ix_unit_changes_applied_at_effective_at", "applied_at", "effective_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(UNIT_CODE, ForeignKey("units.code"))
    name: Mapped[str | None] = mapped_column(String(500))
    moves: Mapped[int] = mapped_column(SmallInteger, default=0)
    parent: Mapped[str | None] = mapped_column(UNIT_CODE)
    effective_at: Mapped[datetime]
    created_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]


class GroupRow(Base):
    """A group: ``explicit`` (members listed), ``children`` or ``descendants`` of a unit."""

    __tablename__ = "groups"

    code: Mapped[str] = mapped_column(UNIT_CODE, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(UNIT_CODE, ForeignKey("units.code"))
    depth: Mapped[int | None]
    created_at: Mapped[datetime]


class GroupMemberRow(Base):
    """A unit listed in an explicit group."""

    __tablename__ = "group_members"

    group_code: Mapped[str] = mapped_column(
        UNIT_CODE, ForeignKey("groups.code", ondelete="CASCADE"), primary_key=True
    )
    unit_code: Mapped[str] = mapped_column(UNIT_CODE, ForeignKey("units.code"), primary_key=True)


class TokenRow(Base):
    """An API bearer token, stored only as its SHA-256."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_code: Mapped[str | None] = mapped_column(UNIT_CODE, ForeignKey("units.code"))
    operator: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    #: An operator token limited to this unit's subtree (a leader); None: every unit.
    scope: Mapped[str | None] = mapped_column(UNIT_CODE, ForeignKey("units.code"), default=None)


class PersonRow(Base):
    """A clerk's own account in a unit (the password stored only as its scrypt hash)."""

    __tablename__ = "people"
    __table_args__ = (Index("ix_people_unit_code", "unit_code"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    unit_code: Mapped[str] = mapped_column(UNIT_CODE, ForeignKey("units.code"))
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    #: Wrong passwords since the last right one.
    failures: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    locked_until: Mapped[datetime | None]


class MessageRow(Base):
    """One accepted envelope, kept byte for byte."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_created_at_id", "created_at", "id"),
        Index("ix_messages_sender_created_at", "sender", "created_at"),
        # on PostgreSQL a trigram GIN index when pg_trgm is there (migration 0003)
        Index("ix_messages_subject_key", "subject_key"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    sender: Mapped[str] = mapped_column(UNIT_CODE)
    subject: Mapped[str] = mapped_column(Text)
    #: :func:`gateway.text.fold` of ``subject``, written with it: what text search reads.
    subject_key: Mapped[str] = mapped_column(Text, server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    refers_to: Mapped[str | None] = mapped_column(ID, index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    due_date: Mapped[date | None] = mapped_column(index=True)
    #: The edXML Priority code (``gateway.urgency``): 0 normal … 3 hỏa tốc, 4 timed.
    urgency: Mapped[int] = mapped_column(SmallInteger, server_default="0", index=True)
    #: When every delivery is due to be received and completed (``gateway.deadlines``).
    due_received_at: Mapped[datetime | None] = mapped_column(index=True)
    due_completed_at: Mapped[datetime | None] = mapped_column(index=True)
    envelope_digest: Mapped[str] = mapped_column(String(64))
    envelope_xml: Mapped[bytes] = mapped_column(LargeBinary)
    submitted_by: Mapped[str] = mapped_column(String(200))
    accepted_at: Mapped[datetime]


class AttachmentRow(Base):
    """A file named in a message's manifest (the bytes live in the blob store)."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("message_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ID, ForeignKey("messages.id"))
    name: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)


class DeliveryRow(Base):
    """One message to one recipient unit, and where it stands."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", "recipient"),
        Index("ix_deliveries_recipient_state", "recipient", "state"),
        Index("ix_deliveries_state", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ID, ForeignKey("messages.id"))
    recipient: Mapped[str] = mapped_column(UNIT_CODE)
    state: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime]
    #: The clerk whose mailbox session first fetched the document
    #: (``person:<unit>/<username>``); None for a unit's token, an adapter or the hub.
    delivered_by: Mapped[str | None] = mapped_column(String(200), default=None)


class ReceiptRow(Base):
    """A signed receipt about one delivery."""

    __tablename__ = "receipts"
    __table_args__ = (Index("ix_receipts_message_id_recipient", "message_id", "recipient"),)

    receipt_id: Mapped[str] = mapped_column(ID, primary_key=True)
    message_id: Mapped[str] = mapped_column(ID, ForeignKey("messages.id"))
    recipient: Mapped[str] = mapped_column(UNIT_CODE)
    status_code: Mapped[str] = mapped_column(String(4))
    status_name: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(UNIT_CODE)
    #: The hub's time of receipt (status views, the order of a delivery's receipts).
    at: Mapped[datetime]
    #: The time the receipt's signer claims (its ``Timestamp``), kept beside ``at``.
    claimed_at: Mapped[datetime | None]
    receipt_xml: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(64))
    #: The clerk whose mailbox action made it (``person:<unit>/<username>``); None for a
    #: unit's token, an adapter or the hub.
    person: Mapped[str | None] = mapped_column(String(200), default=None)


class IdempotencyKeyRow(Base):
    """A unit's ``Idempotency-Key``: the request it names and, once answered, the answer
    (``gateway.store.idempotency``)."""

    __tablename__ = "idempotency_keys"

    unit: Mapped[str] = mapped_column(UNIT_CODE, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: SHA-256 of what the request asked (the envelope, or the metadata and files).
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: ``None`` while the first request runs; then its HTTP status and body.
    status: Mapped[int | None]
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: When it was reserved, then answered (rows older than the keep time are deleted).
    created_at: Mapped[datetime] = mapped_column(index=True)


class OutboxEntryRow(Base):
    """A bus message waiting to be published (the bridge between database and bus)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_published_at_id", "published_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(32))
    routing_key: Mapped[str] = mapped_column(UNIT_CODE)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    message_id: Mapped[str] = mapped_column(ID, index=True)
    created_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class MailboxItemRow(Base):
    """A document or receipt waiting in a unit's mailbox."""

    __tablename__ = "mailbox_items"
    __table_args__ = (
        UniqueConstraint("unit", "kind", "ref"),
        Index("ix_mailbox_items_unit_acked_at_item_id", "unit", "acked_at", "item_id"),
    )

    item_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    unit: Mapped[str] = mapped_column(UNIT_CODE)
    kind: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(ID, index=True)
    ref: Mapped[str] = mapped_column(ID)
    sender: Mapped[str] = mapped_column(UNIT_CODE)
    subject: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    #: The document's urgency (receipts: 0); urgent documents come first (``pending``).
    urgency: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    fetched_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]


class EscalationRow(Base):
    """An overdue delivery told about, once per level (``gateway.deadlines.escalation``):
    the primary key is the claim, so two hub processes never both notify."""

    __tablename__ = "escalations"

    message_id: Mapped[str] = mapped_column(ID, ForeignKey("messages.id"), primary_key=True)
    recipient: Mapped[str] = mapped_column(UNIT_CODE, primary_key=True)
    #: ``received`` or ``completed`` (the due time missed), ``parent_…`` for the second step.
    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: Who was told: the mailbox unit (the sender, or its parent).
    unit: Mapped[str] = mapped_column(UNIT_CODE)
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime]
    #: When the webhook and the mail went out (``None``: not yet, retried after a crash).
    notified_at: Mapped[datetime | None] = mapped_column(index=True)


class EscalationSendRow(Base):
    """One external channel (webhook, mail) of one escalation: the claim committed before
    it is tried, so that it goes out at most once (``gateway.deadlines.sends``)."""

    __tablename__ = "escalation_sends"
    __table_args__ = (Index("ix_escalation_sends_state_started_at", "state", "started_at"),)

    message_id: Mapped[str] = mapped_column(ID, ForeignKey("messages.id"), primary_key=True)
    recipient: Mapped[str] = mapped_column(UNIT_CODE, primary_key=True)
    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: ``webhook`` or ``mail``.
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: ``sending`` (claimed, maybe under way), ``sent``, ``failed`` or ``unknown``.
    state: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    #: What the attempt ended with (``sent: HTTP 204``, ``failed: ConnectionRefusedError``…).
    detail: Mapped[str | None] = mapped_column(String(200))


class PdfVerdictRow(Base):
    """The PDF signature verdicts of one accepted message (``gateway.pdfsig``)."""

    __tablename__ = "pdf_verdicts"

    message_id: Mapped[str] = mapped_column(ID, ForeignKey("messages.id"), primary_key=True)
    #: ``{"policy", "flagged", "files": [PdfVerdict.to_json(), …]}``.
    verdicts: Mapped[dict[str, Any]] = mapped_column(JSON)
    checked_at: Mapped[datetime]


class TimestampRow(Base):
    """An RFC 3161 timestamp asked for what the hub signed (``gateway.timestamps``):
    a receipt, or the audit chain's head. ``token`` None: waiting (the TSA was down)."""

    __tablename__ = "timestamps"
    __table_args__ = (UniqueConstraint("subject", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: ``receipt`` (ref: receipt id) or ``audit`` (ref: the head's seq).
    subject: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(ID, index=True)
    #: SHA-256 hex of the bytes stamped (the receipt XML; the head's hash).
    digest: Mapped[str] = mapped_column(String(64))
    token: Mapped[bytes | None] = mapped_column(LargeBinary)
    requested_at: Mapped[datetime]
    stamped_at: Mapped[datetime | None] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The stamper process asking the TSA for this row now, and until when its claim
    #: holds (``gateway.timestamps.store.TimestampStore.claim``): one request per row.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]


class AuditRow(Base):
    """One link of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(ID, index=True)
    unit: Mapped[str | None] = mapped_column(UNIT_CODE, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
