"""The envelope and receipt as typed, frozen values (no XML here; see ``codec``)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum

from gateway.errors import DirectoryError, ReceiptError

#: mã định danh (QCVN 102:2016): dot-separated groups of 0-9 A-Z, at most 35 characters.
UNIT_CODE_RE = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)*$")
UNIT_CODE_MAX = 35

ENVELOPE_NS = "urn:lienthong:envelope:1"
RECEIPT_NS = "urn:lienthong:receipt:1"


def check_unit_code(code: str) -> str:
    """Return ``code`` if it is a valid unit code, else raise ``directory.bad_unit_code``."""
    if len(code) > UNIT_CODE_MAX or not UNIT_CODE_RE.fullmatch(code):
        raise DirectoryError(f"bad unit code {code!r}", code="directory.bad_unit_code")
    return code


class Kind(StrEnum):
    """What a document message does (edXML BussinessDocType 0-3)."""

    NEW = "new"
    REVOKE = "revoke"
    UPDATE = "update"
    REPLACE = "replace"


class Status(Enum):
    """Delivery statuses: the edXML codes of QCVN 102:2016 plus the hub's own states."""

    RECEIVED = ("01", "received")
    REJECTED = ("02", "rejected")
    ACCEPTED = ("03", "accepted")
    ASSIGNED = ("04", "assigned")
    PROCESSING = ("05", "processing")
    COMPLETED = ("06", "completed")
    RECALL_REQUESTED = ("13", "recall_requested")
    RECALL_AGREED = ("15", "recall_agreed")
    RECALL_REFUSED = ("16", "recall_refused")
    EXPIRED = ("90", "expired")
    FAILED = ("91", "failed")

    @property
    def code(self) -> str:
        """The two-digit edXML status code."""
        return self.value[0]

    @property
    def label(self) -> str:
        """The status name used in JSON (``"accepted"``)."""
        return self.value[1]

    @classmethod
    def parse(cls, text: str) -> Status:
        """Accept ``"03"``, ``"3"`` or ``"accepted"``; raise ``receipt.unknown_status``."""
        wanted = text.strip().lower()
        for status in cls:
            if wanted in (status.code, status.label) or wanted == status.code.lstrip("0"):
                return status
        raise ReceiptError(
            f"unknown status {text[:40]!r}; valid: {_VALID_STATUSES}", code="receipt.unknown_status"
        )


#: What :meth:`Status.parse` names when it refuses a status (90 and 91 are the hub's own).
_VALID_STATUSES = ", ".join(
    f"{s.code} {s.label}" for s in Status if s not in (Status.EXPIRED, Status.FAILED)
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file named in the manifest; its bytes live in the blob store under ``sha256``."""

    name: str
    media_type: str
    size: int
    sha256: str  # lowercase hex
    description: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentMeta:
    """What the official document is: number, type, subject, who signed it, how urgent."""

    subject: str
    number: str | None = None
    notation: str | None = None
    doc_type: str | None = None
    issued_place: str | None = None
    issued_on: date | None = None
    signer_name: str | None = None
    signer_position: str | None = None
    urgency: str | None = None
    confidentiality: str | None = None
    due_date: date | None = None
    page_count: int | None = None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class Envelope:
    """One document message: header, metadata, manifest, and opaque extensions.

    ``extensions`` carries serialized XML (one ``<Extensions>`` element in our namespace
    with foreign children) for fields the envelope has no slot for, e.g. edXML's
    OtherInfo or StaffInfo, so that nothing is lost on the way through.
    """

    message_id: uuid.UUID
    sender: str
    recipients: tuple[str, ...]
    created: datetime
    document: DocumentMeta
    groups: tuple[str, ...] = ()
    expires: datetime | None = None
    kind: Kind = Kind.NEW
    refers_to: uuid.UUID | None = None
    attachments: tuple[Attachment, ...] = ()
    extensions: bytes | None = None

    def all_addressees(self) -> tuple[str, ...]:
        """Units and groups as written by the sender, units first."""
        return self.recipients + self.groups


@dataclass(frozen=True, slots=True)
class Receipt:
    """A statement about one delivery: who says what status about which envelope."""

    receipt_id: uuid.UUID
    message_id: uuid.UUID
    envelope_digest: str  # SHA-256 hex of the envelope bytes it answers
    recipient: str  # the unit whose delivery this is about
    status: Status
    timestamp: datetime
    reason: str | None = None
    issuer: str | None = None  # unit that states it (recipient; sender for 13)
    extensions: bytes | None = None
