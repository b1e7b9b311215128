"""edXML (QCVN 102:2016) messages as typed, frozen values — no XML here.

Two message kinds share one envelope shape: :class:`EdxmlDocument` (a document with
its attachments) and :class:`EdxmlStatus` (a status about a document). Text fields are
``None`` when the element is absent or empty; dates are :class:`datetime.date`,
timestamps timezone-aware :class:`datetime.datetime` (edXML writes local time, UTC+7).
Fields the reader does not know travel as raw XML fragments (``extra``) so nothing is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

#: The edXML namespace; elements are read with this namespace or none at all.
EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

#: StatusCode values seen in QCVN 102:2016 status messages.
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")


@dataclass(frozen=True, slots=True)
class Organization:
    """A ``From`` or ``To`` party: unit code (OrganId) and contact details."""

    organ_id: str | None = None
    organ_name: str | None = None
    organ_in_charge: str | None = None  # <OrganizationInCharge>
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class Code:
    """Số / ký hiệu: ``CodeNumber`` (e.g. ``7816``) and ``CodeNotation`` (``VPCP-TTĐT``)."""

    number: str | None = None
    notation: str | None = None


@dataclass(frozen=True, slots=True)
class PromulgationInfo:
    """Where and when the document was issued."""

    place: str | None = None
    date: date | None = None


@dataclass(frozen=True, slots=True)
class DocumentType:
    """Loại văn bản: ``Type`` code, ``TypeDetail`` code, ``TypeName`` (``Công văn``)."""

    type: str | None = None
    type_detail: str | None = None
    type_name: str | None = None


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """Who signed: competence (``TL. BỘ TRƯỞNG``), position, full name."""

    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True)
class OtherInfo:
    """Priority (độ khẩn), sphere, typist, copies, pages, direction, appendixes."""

    priority: str | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    direction: str | None = None
    appendixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResponseFor:
    """The document a message answers: issuing unit, code, date, DocumentId."""

    organ_id: str | None = None
    code: str | None = None
    promulgation_date: date | None = None
    document_id: str | None = None


@dataclass(frozen=True, slots=True)
class StaffInfo:
    """The clerk who handled the message."""

    department: str | None = None
    staff: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True, slots=True)
class TraceHeader:
    """One hop: the unit that handled the message and when."""

    organ_id: str | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class ReplacementInfo:
    """A document replaced by this one, and the units that received it."""

    document_id: str | None = None
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Receiver:
    """One receiver of an update (``ReceiverType`` 0/1)."""

    organ_id: str | None = None
    receiver_type: str | None = None


@dataclass(frozen=True, slots=True)
class BusinessDocumentInfo:
    """``BussinessDocumentInfo``: what an update changes and for whom."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True, slots=True)
class Business:
    """``Bussiness`` (sic): new/revoke/update/replace, reason, replaced documents, clerk."""

    doc_type: str | None = None  # BussinessDocType "0".."3"
    document_id: str | None = None
    reason: str | None = None
    paper: str | None = None
    document_info: BusinessDocumentInfo | None = None
    replacements: tuple[ReplacementInfo, ...] = ()
    staff_info: StaffInfo | None = None


@dataclass(frozen=True, slots=True)
class ManifestReference:
    """One ``edXMLManifest/Reference``: how the body names an attachment."""

    content_id: str | None = None
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None


@dataclass(frozen=True, slots=True)
class EdxmlAttachment:
    """One ``AttachmentEncoded/Attachment``, its bytes already base64-decoded."""

    data: bytes
    content_id: str | None = None
    attachment_name: str | None = None
    description: str | None = None
    content_type: str | None = None


@dataclass(frozen=True, slots=True)
class EdxmlDocument:
    """An edXML document message (MessageHeader + TraceHeaderList + attachments).

    ``signature`` is the producer's ``<Signature>`` kept verbatim (serialized XML): it is
    not a verifiable W3C XML-DSig signature and is never verified. ``extra`` holds unknown
    ``MessageHeader`` children as serialized XML.
    """

    sender: Organization
    recipients: tuple[Organization, ...] = ()
    document_id: str | None = None
    code: Code | None = None
    promulgation: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer: SignerInfo | None = None
    due_date: date | None = None
    other_info: OtherInfo | None = None
    steering_type: str | None = None
    to_places: tuple[str, ...] = ()
    response_for: tuple[ResponseFor, ...] = ()
    trace_headers: tuple[TraceHeader, ...] = ()
    business: Business | None = None
    signature: bytes | None = None
    manifest: tuple[ManifestReference, ...] = ()
    attachments: tuple[EdxmlAttachment, ...] = ()
    extra: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class EdxmlStatus:
    """An edXML status message: who says what (StatusCode) about which document."""

    sender: Organization
    status_code: str
    response_for: ResponseFor | None = None
    staff_info: StaffInfo | None = None
    description: str | None = None
    timestamp: datetime | None = None
    signature: bytes | None = None
    extra: tuple[bytes, ...] = ()


EdxmlMessage = EdxmlDocument | EdxmlStatus
