"""Write :mod:`gateway.edxml.model` values as edXML, in the layout the samples use.

``<edXML xmlns=NS>`` holds ``<edXML:edXMLEnvelope xmlns:edXML=NS>`` (header: MessageHeader,
TraceHeaderList, the producer's Signature verbatim; body: edXMLManifest) and, outside
the envelope, ``<AttachmentEncoded>`` with each file base64-encoded. Absent fields are
not written; dates are ``yyyy/MM/dd``, timestamps ``yyyy/MM/dd HH:mm:ss`` (UTC+7).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from datetime import date, datetime
from xml.sax.saxutils import escape

from gateway.edxml.dates import format_date, format_timestamp
from gateway.edxml.model import (
    EDXML_NS,
    Business,
    EdxmlAttachment,
    EdxmlDocument,
    EdxmlMessage,
    EdxmlStatus,
    Organization,
    OtherInfo,
    ResponseFor,
    StaffInfo,
)
from gateway.errors import EdxmlError

__all__ = ["write_document", "write_message", "write_status"]

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_Value = str | date | datetime | None


class _Out:
    """An indenting XML text builder with the ``edXML:`` prefix by default."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def open(self, name: str, attrs: str = "") -> None:
        self.lines.append(f"{'  ' * self.depth}<{name}{attrs}>")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.lines.append(f"{'  ' * self.depth}</{name}>")

    def leaf(self, name: str, value: _Value, attrs: str = "") -> None:
        if value is None:
            return
        if isinstance(value, datetime):
            value = format_timestamp(value)
        elif isinstance(value, date):
            value = format_date(value)
        self.lines.append(f"{'  ' * self.depth}<{name}{attrs}>{_escape(value)}</{name}>")

    def raw(self, fragment: bytes) -> None:
        self.lines.append("  " * self.depth + fragment.decode("utf-8").strip())

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value: str) -> str:
    if _ILLEGAL.search(value):
        raise EdxmlError("a value holds characters XML cannot carry", code="edxml.invalid")
    return escape(value)


def write_message(message: EdxmlMessage, *, xml_declaration: bool = True) -> bytes:
    """edXML bytes (UTF-8) for a document or a status message."""
    if isinstance(message, EdxmlDocument):
        return write_document(message, xml_declaration=xml_declaration)
    return write_status(message, xml_declaration=xml_declaration)


def write_document(doc: EdxmlDocument, *, xml_declaration: bool = True) -> bytes:
    """edXML bytes for a document message, attachments base64-encoded."""
    out = _begin()
    out.open("edXML:MessageHeader")
    _document_header(out, doc)
    out.close("edXML:MessageHeader")
    _trace(out, doc)
    if doc.signature is not None:
        out.raw(doc.signature)
    out.close("edXML:edXMLHeader")
    _body(out, doc)
    out.close("edXML:edXMLEnvelope")
    _attachments(out, doc.attachments)
    return _end(out, xml_declaration)


def write_status(status: EdxmlStatus, *, xml_declaration: bool = True) -> bytes:
    """edXML bytes for a status message."""
    out = _begin()
    out.open("edXML:MessageHeader")
    _organization(out, "From", status.sender)
    if status.response_for is not None:
        _response_for(out, status.response_for)
    _staff(out, status.staff_info)
    out.leaf("edXML:StatusCode", status.status_code)
    out.leaf("edXML:Description", status.description)
    out.leaf("edXML:Timestamp", status.timestamp)
    for fragment in status.extra:
        out.raw(fragment)
    out.close("edXML:MessageHeader")
    if status.signature is not None:
        out.raw(status.signature)
    out.close("edXML:edXMLHeader")
    out.close("edXML:edXMLEnvelope")
    return _end(out, xml_declaration)


def _begin() -> _Out:
    out = _Out()
    out.open("edXML", f' xmlns="{EDXML_NS}"')
    out.open("edXML:edXMLEnvelope", f' xmlns:edXML="{EDXML_NS}"')
    out.open("edXML:edXMLHeader")
    return out


def _end(out: _Out, xml_declaration: bool) -> bytes:
    out.close("edXML")
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if xml_declaration else ""
    return (head + out.text()).encode("utf-8")


def _document_header(out: _Out, doc: EdxmlDocument) -> None:
    _organization(out, "From", doc.sender)
    for recipient in doc.recipients:
        _organization(out, "To", recipient)
    out.leaf("edXML:DocumentId", doc.document_id)
    if doc.code is not None:
        _group(out, "Code", [("CodeNumber", doc.code.number), ("CodeNotation", doc.code.notation)])
    if doc.promulgation is not None:
        info = doc.promulgation
        _group(out, "PromulgationInfo", [("Place", info.place), ("PromulgationDate", info.date)])
    if doc.document_type is not None:
        kind = doc.document_type
        fields = [
            ("Type", kind.type),
            ("TypeDetail", kind.type_detail),
            ("TypeName", kind.type_name),
        ]
        _group(out, "DocumentType", fields)
    out.leaf("edXML:Subject", doc.subject)
    out.leaf("edXML:Content", doc.content)
    if doc.signer is not None:
        s = doc.signer
        fields = [("Competence", s.competence), ("Position", s.position), ("FullName", s.full_name)]
        _group(out, "SignerInfo", fields)
    out.leaf("edXML:DueDate", doc.due_date)
    _other_info(out, doc.other_info)
    for response in doc.response_for:
        _response_for(out, response)
    out.leaf("edXML:SteeringType", doc.steering_type)
    if doc.to_places:
        _group(out, "ToPlaces", [("Place", place) for place in doc.to_places])
    for fragment in doc.extra:
        out.raw(fragment)


def _group(out: _Out, name: str, fields: Sequence[tuple[str, _Value]]) -> None:
    if all(value is None for _, value in fields):
        return
    out.open(f"edXML:{name}")
    for child, value in fields:
        out.leaf(f"edXML:{child}", value)
    out.close(f"edXML:{name}")


def _organization(out: _Out, name: str, org: Organization) -> None:
    fields: list[tuple[str, _Value]] = [
        ("OrganId", org.organ_id),
        ("OrganizationInCharge", org.organ_in_charge),
        ("OrganName", org.organ_name),
        ("OrganAdd", org.organ_add),
        ("Email", org.email),
        ("Telephone", org.telephone),
        ("Fax", org.fax),
        ("Website", org.website),
    ]
    out.open(f"edXML:{name}")
    for child, value in fields:
        out.leaf(f"edXML:{child}", value)
    out.close(f"edXML:{name}")


def _other_info(out: _Out, info: OtherInfo | None) -> None:
    if info is None:
        return
    out.open("edXML:OtherInfo")
    out.leaf("edXML:Priority", info.priority)
    out.leaf("edXML:SphereOfPromulgation", info.sphere_of_promulgation)
    out.leaf("edXML:TyperNotation", info.typer_notation)
    out.leaf("edXML:PromulgationAmount", info.promulgation_amount)
    out.leaf("edXML:PageAmount", info.page_amount)
    out.leaf("edXML:Direction", info.direction)
    if info.appendixes:
        _group(out, "Appendixes", [("Appendix", item) for item in info.appendixes])
    out.close("edXML:OtherInfo")


def _response_for(out: _Out, response: ResponseFor) -> None:
    out.open("edXML:ResponseFor")
    out.leaf("edXML:OrganId", response.organ_id)
    out.leaf("edXML:Code", response.code)
    out.leaf("edXML:PromulgationDate", response.promulgation_date)
    out.leaf("edXML:DocumentId", response.document_id)
    out.close("edXML:ResponseFor")


def _staff(out: _Out, staff: StaffInfo | None) -> None:
    if staff is not None:
        fields: list[tuple[str, _Value]] = [
            ("Department", staff.department),
            ("Staff", staff.staff),
            ("Email", staff.email),
            ("Mobile", staff.mobile),
        ]
        _group(out, "StaffInfo", fields)


def _trace(out: _Out, doc: EdxmlDocument) -> None:
    if not doc.trace_headers and doc.business is None:
        return
    out.open("edXML:TraceHeaderList")
    for hop in doc.trace_headers:
        _group(out, "TraceHeader", [("OrganId", hop.organ_id), ("Timestamp", hop.timestamp)])
    if doc.business is not None:
        _business(out, doc.business)
    out.close("edXML:TraceHeaderList")


def _business(out: _Out, business: Business) -> None:
    out.open("edXML:Bussiness")
    out.leaf("edXML:DocumentId", business.document_id)
    out.leaf("edXML:BussinessDocType", business.doc_type)
    out.leaf("edXML:BussinessDocReason", business.reason)
    out.leaf("edXML:Paper", business.paper)
    info = business.document_info
    if info is not None:
        out.open("edXML:BussinessDocumentInfo")
        out.leaf("edXML:DocumentInfo", info.document_info)
        out.leaf("edXML:DocumentReceiver", info.document_receiver)
        if info.receivers:
            out.open("edXML:ReceiverList")
            for r in info.receivers:
                fields = [("OrganId", r.organ_id), ("ReceiverType", r.receiver_type)]
                _group(out, "Receiver", fields)
            out.close("edXML:ReceiverList")
        out.close("edXML:BussinessDocumentInfo")
    if business.replacements:
        out.open("edXML:ReplacementInfoList")
        for item in business.replacements:
            out.open("edXML:ReplacementInfo")
            out.leaf("edXML:DocumentId", item.document_id)
            _group(out, "OrganIdList", [("OrganId", organ) for organ in item.organ_ids])
            out.close("edXML:ReplacementInfo")
        out.close("edXML:ReplacementInfoList")
    _staff(out, business.staff_info)
    out.close("edXML:Bussiness")


def _body(out: _Out, doc: EdxmlDocument) -> None:
    out.open("edXML:edXMLBody")
    out.open("edXML:edXMLManifest", ' version="1.0"')
    for ref in doc.manifest:
        fields: list[tuple[str, _Value]] = [
            ("ContentId", ref.content_id),
            ("ContentType", ref.content_type),
            ("Description", ref.description),
            ("AttachmentName", ref.attachment_name),
        ]
        out.open("edXML:Reference")
        for child, value in fields:
            out.leaf(f"edXML:{child}", value)
        out.close("edXML:Reference")
    out.close("edXML:edXMLManifest")
    out.close("edXML:edXMLBody")


def _attachments(out: _Out, attachments: tuple[EdxmlAttachment, ...]) -> None:
    if not attachments:
        return
    out.open("AttachmentEncoded")
    for item in attachments:
        out.open("Attachment")
        out.leaf("ContentId", item.content_id)
        out.leaf("AttachmentName", item.attachment_name)
        out.leaf("Description", item.description)
        out.leaf("ContentType", item.content_type)
        out.leaf(
            "edXML:ContentTransferEncoded",
            base64.b64encode(item.data).decode("ascii"),
            f' xmlns:edXML="{EDXML_NS}"',
        )
        out.close("Attachment")
    out.close("AttachmentEncoded")
