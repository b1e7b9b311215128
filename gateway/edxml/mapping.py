"""edXML ⇄ Lienthong: documents to envelopes, status messages to receipts, and back.

Fields the envelope has a slot for go there (OrganId → sender/recipients, Subject,
Code, PromulgationInfo, TypeName, signer Position/FullName, Priority → urgency,
PageAmount → page_count, DueDate, Content, BussinessDocType → kind, attachments → blob
store). Everything else — OrganName and contact details, DocumentId, OtherInfo,
ToPlaces, SteeringType, ResponseFor, TraceHeaderList (StaffInfo, ReplacementInfo…),
the producer's Signature, the manifest, attachment ContentIds — travels in
``extensions``: one ``<Extensions>`` element holding an edXML message (in the edXML
namespace) stripped of what has a slot and of the attachment bytes. On the way back the
slots win and the extension fills in the rest, so a message comes back equivalent
(:mod:`gateway.edxml.equivalence`).

Envelopes from elsewhere (no extension) export with what they have: DocumentId is the
message id (the refers_to id for revoke/update/replace), groups are not expressible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import fields, replace
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from gateway.edxml import _xml
from gateway.edxml.dates import VIETNAM
from gateway.edxml.ids import document_uuid, message_uuid, receipt_uuid, refers_to
from gateway.edxml.model import (
    EDXML_NS,
    STATUS_CODES,
    Business,
    Code,
    DocumentType,
    EdxmlAttachment,
    EdxmlDocument,
    EdxmlMessage,
    EdxmlStatus,
    ManifestReference,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ResponseFor,
    SignerInfo,
    TraceHeader,
)
from gateway.edxml.reader import message_from_element
from gateway.edxml.writer import write_document, write_status
from gateway.envelope.model import (
    ENVELOPE_NS,
    RECEIPT_NS,
    Attachment,
    DocumentMeta,
    Envelope,
    Kind,
    Receipt,
    Status,
    check_unit_code,
)
from gateway.errors import DirectoryError, EdxmlError, EnvelopeError

__all__ = [
    "EMPTY_DIGEST",
    "LoadBlob",
    "StoreBlob",
    "edxml_document_of",
    "edxml_status_to_receipt",
    "edxml_to_envelope",
    "envelope_to_edxml",
    "receipt_to_edxml_status",
]

#: ``store_blob(name, media_type, data) -> Attachment``: keep the bytes, by digest.
StoreBlob = Callable[[str, str, bytes], Attachment]
#: ``load_blob(attachment) -> bytes``: the bytes of a manifest entry.
LoadBlob = Callable[[Attachment], bytes]

#: Placeholder digest for a receipt mapped offline from an edXML status, when the
#: envelope it answers is not at hand: the SHA-256 of zero bytes.
EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()

_KINDS = {"0": Kind.NEW, "1": Kind.REVOKE, "2": Kind.UPDATE, "3": Kind.REPLACE}
_KIND_CODES = {kind: code for code, kind in _KINDS.items()}
D = TypeVar("D")


# -- edXML document → envelope ----------------------------------------------------------


def edxml_to_envelope(doc: EdxmlDocument, store_blob: StoreBlob) -> Envelope:
    """The envelope for an edXML document; attachments go through ``store_blob``."""
    if not doc.document_id:
        raise EdxmlError("the document has no DocumentId", code="edxml.missing_field")
    if not doc.subject:
        raise EdxmlError("the document has no Subject", code="edxml.missing_field")
    if not doc.recipients:
        raise EdxmlError("the document has no To", code="edxml.missing_field")
    kind = _kind(doc)
    first_hop = doc.trace_headers[0].timestamp if doc.trace_headers else None
    return Envelope(
        message_id=message_uuid(doc.document_id, kind, first_hop),
        sender=_unit(doc.sender.organ_id, "From"),
        recipients=tuple(_unit(to.organ_id, "To") for to in doc.recipients),
        created=_created(doc, first_hop),
        document=_meta(doc),
        kind=kind,
        refers_to=refers_to(doc, kind),
        attachments=tuple(_store(item, i, store_blob) for i, item in enumerate(doc.attachments)),
        extensions=_wrap(ENVELOPE_NS, write_document(_document_rest(doc), xml_declaration=False)),
    )


def _kind(doc: EdxmlDocument) -> Kind:
    code = doc.business.doc_type if doc.business and doc.business.doc_type else "0"
    if code not in _KINDS:
        raise EdxmlError(f"unknown BussinessDocType {code!r}", code="edxml.invalid")
    return _KINDS[code]


def _unit(code: str | None, where: str) -> str:
    if not code:
        raise EdxmlError(f"{where} has no OrganId", code="edxml.missing_field")
    try:
        return check_unit_code(code)
    except DirectoryError as exc:
        raise EdxmlError(
            f"{where} OrganId {code!r} is not a unit code", code="edxml.bad_unit_code"
        ) from exc


def _created(doc: EdxmlDocument, first_hop: datetime | None) -> datetime:
    if first_hop is not None:
        return first_hop
    if doc.promulgation and doc.promulgation.date:
        return datetime.combine(doc.promulgation.date, time(), VIETNAM)
    return datetime.now(UTC)


def _meta(doc: EdxmlDocument) -> DocumentMeta:
    code, issued = doc.code or Code(), doc.promulgation or PromulgationInfo()
    signer, other = doc.signer or SignerInfo(), doc.other_info or OtherInfo()
    return DocumentMeta(
        subject=doc.subject or "",
        number=code.number,
        notation=code.notation,
        doc_type=doc.document_type.type_name if doc.document_type else None,
        issued_place=issued.place,
        issued_on=issued.date,
        signer_name=signer.full_name,
        signer_position=signer.position,
        urgency=other.priority,
        due_date=doc.due_date,
        page_count=_page_count(other.page_amount),
        content=doc.content,
    )


def _page_count(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and str(int(text)) == text else None


def _store(item: EdxmlAttachment, index: int, store_blob: StoreBlob) -> Attachment:
    name = item.attachment_name or item.content_id or f"attachment-{index + 1}"
    stored = store_blob(name, item.content_type or "application/octet-stream", item.data)
    return replace(stored, description=item.description) if item.description else stored


def _document_rest(doc: EdxmlDocument) -> EdxmlDocument:
    """What has no slot in the envelope: ``doc`` minus slot fields and attachment bytes."""
    other = doc.other_info
    if other is not None:
        page = None if _page_count(other.page_amount) is not None else other.page_amount
        other = replace(other, priority=None, page_amount=page)
    return replace(
        doc,
        code=None,
        promulgation=None,
        subject=None,
        content=None,
        due_date=None,
        document_type=_nonempty(doc.document_type and replace(doc.document_type, type_name=None)),
        signer=_nonempty(doc.signer and replace(doc.signer, position=None, full_name=None)),
        other_info=_nonempty(other),
        attachments=tuple(EdxmlAttachment(b"", content_id=a.content_id) for a in doc.attachments),
    )


def _nonempty(value: D | None) -> D | None:
    if value is None:
        return None
    return value if any(getattr(value, f.name) for f in fields(value)) else None  # type: ignore[arg-type]


def _wrap(namespace: str, edxml: bytes) -> bytes:
    return f'<Extensions xmlns="{namespace}">'.encode() + edxml + b"</Extensions>"


# -- envelope → edXML document ----------------------------------------------------------


def envelope_to_edxml(env: Envelope, load_blob: LoadBlob) -> EdxmlDocument:
    """The edXML document for an envelope; attachment bytes come from ``load_blob``."""
    base = _extension(env.extensions, EdxmlDocument)
    if base is None:
        base = EdxmlDocument(
            sender=Organization(), trace_headers=(TraceHeader(env.sender, env.created),)
        )
    meta = env.document
    return replace(
        base,
        sender=replace(base.sender, organ_id=env.sender),
        recipients=_recipients(env.recipients, base.recipients),
        document_id=base.document_id or str(env.refers_to or env.message_id),
        code=_nonempty(Code(meta.number, meta.notation)),
        promulgation=_nonempty(PromulgationInfo(meta.issued_place, meta.issued_on)),
        document_type=_nonempty(
            replace(base.document_type or DocumentType(), type_name=meta.doc_type)
        ),
        subject=meta.subject,
        content=meta.content,
        signer=_signer(meta, base.signer),
        due_date=meta.due_date,
        other_info=_other_info(meta, base.other_info),
        business=replace(base.business or Business(), doc_type=_KIND_CODES[env.kind]),
        manifest=base.manifest or _manifest(env.attachments),
        attachments=tuple(
            _load(a, i, base.attachments, load_blob) for i, a in enumerate(env.attachments)
        ),
    )


def _recipients(
    codes: tuple[str, ...], known: tuple[Organization, ...]
) -> tuple[Organization, ...]:
    by_code = {org.organ_id: org for org in known}
    return tuple(by_code.get(code) or Organization(organ_id=code) for code in codes)


def _signer(meta: DocumentMeta, base: SignerInfo | None) -> SignerInfo | None:
    signer = base or SignerInfo()
    return _nonempty(replace(signer, position=meta.signer_position, full_name=meta.signer_name))


def _other_info(meta: DocumentMeta, base: OtherInfo | None) -> OtherInfo | None:
    other = base or OtherInfo()
    pages = str(meta.page_count) if meta.page_count is not None else other.page_amount
    return _nonempty(replace(other, priority=meta.urgency, page_amount=pages))


def _manifest(attachments: tuple[Attachment, ...]) -> tuple[ManifestReference, ...]:
    return tuple(
        ManifestReference(f"cid:{i + 1}", a.media_type, a.description, a.name)
        for i, a in enumerate(attachments)
    )


def _load(
    att: Attachment, index: int, known: tuple[EdxmlAttachment, ...], load_blob: LoadBlob
) -> EdxmlAttachment:
    data = load_blob(att)
    if len(data) != att.size or hashlib.sha256(data).hexdigest() != att.sha256:
        raise EnvelopeError(
            f"attachment {att.name!r} does not match its digest",
            code="envelope.attachment_mismatch",
        )
    content_id = known[index].content_id if index < len(known) else f"cid:{index + 1}"
    return EdxmlAttachment(data, content_id, att.name, att.description, att.media_type)


def edxml_document_of(env: Envelope) -> EdxmlDocument | None:
    """The edXML document an envelope mapped from edXML carries in its extensions."""
    return _extension(env.extensions, EdxmlDocument)


def _extension(data: bytes | None, kind: type[D]) -> D | None:
    """The edXML message carried in ``<Extensions>``, if it holds one of ``kind``."""
    if not data:
        return None
    for child in _xml.elements(_xml.parse(data)):
        if child.tag == f"{{{EDXML_NS}}}edXML":
            message: EdxmlMessage = message_from_element(child, require_content=False)
            return message if isinstance(message, kind) else None
    return None


# -- status ⇄ receipt --------------------------------------------------------------------


def edxml_status_to_receipt(status: EdxmlStatus, *, envelope_digest: str | None = None) -> Receipt:
    """The receipt for an edXML status; without ``envelope_digest``, :data:`EMPTY_DIGEST`."""
    response = status.response_for or ResponseFor()
    if not response.document_id:
        raise EdxmlError("the status has no ResponseFor/DocumentId", code="edxml.missing_field")
    if status.timestamp is None:
        raise EdxmlError("the status has no Timestamp", code="edxml.missing_field")
    issuer = _unit(status.sender.organ_id, "From")
    code = Status.parse(status.status_code)
    # 13 (take-back request) comes from the sender: the delivery is the other party's.
    recipient = (
        _unit(response.organ_id, "ResponseFor") if code is Status.RECALL_REQUESTED else issuer
    )
    rest = replace(status, description=None, timestamp=None)
    return Receipt(
        receipt_id=receipt_uuid(response.document_id, issuer, code.code, status.timestamp),
        message_id=document_uuid(response.document_id),
        envelope_digest=envelope_digest or EMPTY_DIGEST,
        recipient=recipient,
        status=code,
        timestamp=status.timestamp,
        reason=status.description,
        issuer=issuer,
        extensions=_wrap(RECEIPT_NS, write_status(rest, xml_declaration=False)),
    )


def receipt_to_edxml_status(receipt: Receipt) -> EdxmlStatus:
    """The edXML status message for a receipt (hub-only statuses are unsupported)."""
    if receipt.status.code not in STATUS_CODES:
        raise EdxmlError(
            f"status {receipt.status.label} has no edXML code", code="edxml.unsupported"
        )
    issuer = receipt.issuer or receipt.recipient
    base = _extension(receipt.extensions, EdxmlStatus)
    if base is None:
        other = receipt.recipient if receipt.status is Status.RECALL_REQUESTED else None
        response = ResponseFor(organ_id=other, document_id=str(receipt.message_id))
        base = EdxmlStatus(sender=Organization(), status_code="", response_for=response)
    changes: dict[str, Any] = {
        "sender": replace(base.sender, organ_id=issuer),
        "status_code": receipt.status.code,
        "description": receipt.reason,
        "timestamp": receipt.timestamp,
    }
    return replace(base, **changes)
