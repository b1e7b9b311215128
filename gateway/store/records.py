"""Values the message store hands out (frozen; no ORM objects leave the store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from gateway.deadlines.overdue import lateness
from gateway.envelope.model import Envelope, Receipt
from gateway.facade import SearchFilters  # defined on the seam, read here
from gateway.store.changes import CHANGING_KINDS as _CHANGED_STATE
from gateway.store.changes import UNFETCHED, WITHDRAWN_STATES, Change, document_state
from gateway.urgency import Urgency

__all__ = [
    "PERSON_PREFIX",
    "AcceptResult",
    "MailboxItem",
    "MessageStatus",
    "MessageSummary",
    "OutboxRow",
    "OverdueDelivery",
    "ReceiptInfo",
    "RecipientStatus",
    "SearchFilters",
    "SearchPage",
    "StoredAttachment",
    "StoredMessage",
    "StoredReceipt",
    "UnitSummary",
    "VerifiedEnvelopeLike",
    "VerifiedReceiptLike",
]

#: How a clerk's own account is named where a unit's would be (``submitted_by``, the
#: audit log's actor): ``person:<unit>/<username>`` (:class:`gateway.store.people.Person`).
PERSON_PREFIX = "person:"


class VerifiedEnvelopeLike(Protocol):
    """What :meth:`MessageStore.accept` needs from a verified envelope."""

    @property
    def envelope(self) -> Envelope: ...
    @property
    def xml(self) -> bytes: ...
    @property
    def digest(self) -> str: ...
    @property
    def signer_unit(self) -> str: ...


@dataclass(frozen=True, slots=True)
class DueEnvelope:
    """A verified envelope with the due times the hub's policy gave it (stored with it)."""

    verified: VerifiedEnvelopeLike
    due_received_at: datetime
    due_completed_at: datetime

    @property
    def envelope(self) -> Envelope:
        """The envelope."""
        return self.verified.envelope

    @property
    def xml(self) -> bytes:
        """The signed XML."""
        return self.verified.xml

    @property
    def digest(self) -> str:
        """Its SHA-256."""
        return self.verified.digest

    @property
    def signer_unit(self) -> str:
        """Who signed it."""
        return self.verified.signer_unit


class VerifiedReceiptLike(Protocol):
    """What :meth:`MessageStore.add_receipt` needs from a verified receipt."""

    @property
    def receipt(self) -> Receipt: ...
    @property
    def xml(self) -> bytes: ...
    @property
    def digest(self) -> str: ...
    @property
    def signer_unit(self) -> str: ...


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at else None


@dataclass(frozen=True, slots=True)
class AcceptResult:
    """The message id, and whether this call stored it (``False``: it was already there)."""

    message_id: str
    created: bool


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed outbox entry for the relay to publish."""

    id: int
    topic: str  # "documents" | "receipts"
    routing_key: str  # the recipient unit code
    body: bytes  # JSON
    message_id: str
    attempts: int


@dataclass(frozen=True, slots=True)
class MailboxItem:
    """A pending document or receipt in a unit's mailbox."""

    item_id: int
    unit: str
    kind: str  # "document" | "receipt"
    message_id: str
    ref: str  # message id (document) or receipt id (receipt)
    sender: str
    subject: str
    created_at: datetime
    fetched_at: datetime | None = None
    #: The message's kind (``new``, ``revoke``, ``update``, ``replace``) and reference.
    document_kind: str | None = None
    refers_to: str | None = None
    #: The newest document that changes this one, and its kind.
    changed_by: str | None = None
    changed_kind: str | None = None
    #: The document's edXML Priority code (``gateway.urgency``; receipts 0).
    urgency: int = 0

    def to_json(self) -> dict[str, Any]:
        """The mailbox API item."""
        return {
            "item_id": self.item_id,
            "message_id": self.message_id,
            "kind": self.kind,
            "ref": self.ref,
            "receipt_id": self.ref if self.kind == "receipt" else None,
            "sender": self.sender,
            "subject": self.subject,
            "created_at": _iso(self.created_at),
            "document_kind": self.document_kind or "new",
            "refers_to": self.refers_to,
            "changed_by": self.changed_by,
            "document_state": _CHANGED_STATE.get(self.changed_kind or "", "current"),
            "urgency": str(self.urgency),
        }


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    """A manifest entry as stored."""

    name: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message's row, its recipients and attachments (not the XML)."""

    id: str
    sender: str
    subject: str
    kind: str
    refers_to: str | None
    created_at: datetime
    expires_at: datetime | None
    due_date: date | None
    envelope_digest: str
    submitted_by: str
    accepted_at: datetime
    recipients: tuple[str, ...] = ()
    attachments: tuple[StoredAttachment, ...] = ()
    #: The edXML Priority code (``gateway.urgency``).
    urgency: int = 0


@dataclass(frozen=True, slots=True)
class StoredReceipt:
    """A receipt as stored (the signed XML is in ``xml``)."""

    receipt_id: str
    message_id: str
    recipient: str
    status_code: str
    status_name: str
    reason: str | None
    issuer: str
    at: datetime
    digest: str
    xml: bytes = field(repr=False, default=b"")


@dataclass(frozen=True, slots=True)
class ReceiptInfo:
    """One receipt in a status timeline."""

    receipt_id: str
    status: str  # "03"
    name: str  # "accepted"
    at: datetime  # when the hub received it
    by: str
    reason: str | None = None
    claimed_at: datetime | None = None  # the time its signer gave it
    #: The clerk who answered in the web mailbox (``person:<unit>/<username>``); None for
    #: a unit's token, an adapter or the hub.
    person: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As in the status API."""
        return {
            "receipt_id": self.receipt_id,
            "status": self.status,
            "name": self.name,
            "at": _iso(self.at),
            "by": self.by,
            "reason": self.reason,
            "claimed_at": _iso(self.claimed_at),
            "person": self.person,
        }


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """Where one delivery stands, with its receipts in time order."""

    unit: str
    state: str
    updated_at: datetime
    receipts: tuple[ReceiptInfo, ...] = ()
    #: The clerk who first opened the document in the web mailbox
    #: (``person:<unit>/<username>``); None when a unit's token or an adapter fetched it.
    delivered_by: str | None = None


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """One message's timeline (the DESIGN.md status JSON via :meth:`to_json`)."""

    id: str
    sender: str
    subject: str
    kind: str
    created_at: datetime
    due_date: date | None
    recipients: tuple[RecipientStatus, ...]
    #: The document this one revokes, updates or replaces (kind 1/2/3).
    refers_to: str | None = None
    #: The documents that revoke, update or replace this one, oldest first.
    changed_by: tuple[Change, ...] = ()
    #: The edXML Priority code (``gateway.urgency``).
    urgency: int = 0
    #: When each delivery is due to be received and completed (``gateway.deadlines``).
    due_received_at: datetime | None = None
    due_completed_at: datetime | None = None
    #: The clerk who sent it from the web mailbox (``person:<unit>/<username>``); None
    #: when a unit's token or an adapter did.
    person: str | None = None

    def _withdrawn(self, r: RecipientStatus) -> bool:
        """The document was revoked or replaced before this recipient fetched it."""
        return r.state in UNFETCHED and document_state(self.changed_by) in WITHDRAWN_STATES

    def _lateness(self, r: RecipientStatus, now: datetime) -> dict[str, Any]:
        withdrawn = document_state(self.changed_by) in WITHDRAWN_STATES
        marks = [(x.status, x.at) for x in r.receipts]
        due_r, due_c = self.due_received_at, self.due_completed_at
        return lateness(r.state, marks, due_r, due_c, now, withdrawn=withdrawn).to_json()

    def to_json(self) -> dict[str, Any]:
        """``{"id", "sender", "subject", "created_at", "recipients": [...]}``, with the
        links of revoke/update/replace both ways (``refers_to``, ``changed_by``) and
        ``document_state`` (``current``, ``updated``, ``replaced``, ``revoked``); each
        recipient says which due times it is ``overdue`` for and which it met ``late``."""
        now = datetime.now(UTC)
        return {
            "id": self.id,
            "sender": self.sender,
            "subject": self.subject,
            "kind": self.kind,
            "refers_to": self.refers_to,
            "document_state": document_state(self.changed_by),
            "changed_by": [c.to_json() for c in self.changed_by],
            "urgency": str(self.urgency),
            "urgency_name": Urgency(self.urgency).label,
            "created_at": _iso(self.created_at),
            "person": self.person,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "due_received_at": _iso(self.due_received_at),
            "due_completed_at": _iso(self.due_completed_at),
            "recipients": [
                {
                    "unit": r.unit,
                    "state": r.state,
                    "updated_at": _iso(r.updated_at),
                    "delivered_by": r.delivered_by,
                    "receipts": [x.to_json() for x in r.receipts],
                    "withdrawn": self._withdrawn(r),
                    **self._lateness(r, now),
                }
                for r in self.recipients
            ],
        }


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One search hit: the message and how many deliveries are in each state."""

    id: str
    sender: str
    subject: str
    kind: str
    created_at: datetime
    due_date: date | None
    states: dict[str, int]
    #: ``current``, ``updated``, ``replaced`` or ``revoked`` (see ``gateway.store.changes``).
    document_state: str = "current"
    #: The edXML Priority code (``gateway.urgency``).
    urgency: int = 0

    def to_json(self) -> dict[str, Any]:
        """As in the search API."""
        return {
            "id": self.id,
            "sender": self.sender,
            "subject": self.subject,
            "kind": self.kind,
            "document_state": self.document_state,
            "urgency": str(self.urgency),
            "created_at": _iso(self.created_at),
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "recipients": sum(self.states.values()),
            "states": dict(self.states),
        }


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of results, newest first; pass ``next_cursor`` back for the next one."""

    items: tuple[MessageSummary, ...]
    next_cursor: str | None
    #: The units a ``unit`` filter stood for: ``(code, name)``, name empty when the code
    #: is not in the directory.
    units: tuple[tuple[str, str], ...] = ()
    #: Set when the ``unit`` filter named no unit of the directory.
    hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"items": [...], "next_cursor"}``, with ``units`` (and ``hint``) when the
        search had a unit filter."""
        out: dict[str, Any] = {
            "items": [i.to_json() for i in self.items],
            "next_cursor": self.next_cursor,
        }
        if self.units:
            out["units"] = [{"code": c, "name": n or None} for c, n in self.units]
        if self.hint:
            out["hint"] = self.hint
        return out


@dataclass(frozen=True, slots=True)
class UnitSummary:
    """Per-unit counters for the console."""

    unit: str
    name: str
    sent: int
    received: int
    pending_items: int
    states: dict[str, int]
    last_seen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OverdueDelivery:
    """A delivery past its document's due date and not finished."""

    message_id: str
    recipient: str
    sender: str
    subject: str
    due_date: date
    state: str
