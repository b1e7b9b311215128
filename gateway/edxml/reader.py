"""Read edXML document and status messages into :mod:`gateway.edxml.model` values.

Reading is order-insensitive and prefix-insensitive: children are matched by local name
in the edXML namespace or in no namespace. A singleton element given twice, or a leaf
that holds elements (``<From><From>…``), is ``edxml.malformed``; so is an attachment
whose content is not base64. Unknown ``MessageHeader`` children are kept verbatim.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypeVar

from lxml import etree

from gateway.edxml import _xml
from gateway.edxml._xml import elements, local, text
from gateway.edxml.dates import parse_date, parse_timestamp
from gateway.edxml.model import (
    STATUS_CODES,
    Business,
    BusinessDocumentInfo,
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
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    TraceHeader,
)
from gateway.errors import EdxmlError

__all__ = ["message_from_element", "read_document", "read_message", "read_status"]

T = TypeVar("T")
_Groups = dict[str, list[etree._Element]]

_ORGANIZATION = {
    "OrganId": "organ_id",
    "OrganName": "organ_name",
    "OrganizationInCharge": "organ_in_charge",
    "OrganInCharge": "organ_in_charge",
    "OrganAdd": "organ_add",
    "Email": "email",
    "Telephone": "telephone",
    "Fax": "fax",
    "Website": "website",
}
_CODE = {"CodeNumber": "number", "CodeNotation": "notation"}
_DOCUMENT_TYPE = {"Type": "type", "TypeDetail": "type_detail", "TypeName": "type_name"}
_SIGNER = {"Competence": "competence", "Position": "position", "FullName": "full_name"}
_STAFF = {"Department": "department", "Staff": "staff", "Email": "email", "Mobile": "mobile"}
_OTHER = {
    "Priority": "priority",
    "SphereOfPromulgation": "sphere_of_promulgation",
    "TyperNotation": "typer_notation",
    "PromulgationAmount": "promulgation_amount",
    "PageAmount": "page_amount",
    "Direction": "direction",
}
_RESPONSE = {"OrganId": "organ_id", "Code": "code", "DocumentId": "document_id"}
_MANIFEST = {
    "ContentId": "content_id",
    "ContentType": "content_type",
    "Description": "description",
    "AttachmentName": "attachment_name",
}
_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def read_message(
    data: bytes,
    *,
    max_bytes: int = _xml.DEFAULT_MAX_BYTES,
    max_depth: int = _xml.DEFAULT_MAX_DEPTH,
) -> EdxmlMessage:
    """Parse edXML bytes with the hardened parser: a document or a status message."""
    return message_from_element(_xml.parse(data, max_bytes=max_bytes, max_depth=max_depth))


def read_document(data: bytes, **limits: int) -> EdxmlDocument:
    """Like :func:`read_message`, but a status message is ``edxml.unsupported``."""
    message = read_message(data, **limits)
    if not isinstance(message, EdxmlDocument):
        raise EdxmlError("expected a document message, got a status", code="edxml.unsupported")
    return message


def read_status(data: bytes, **limits: int) -> EdxmlStatus:
    """Like :func:`read_message`, but a document message is ``edxml.unsupported``."""
    message = read_message(data, **limits)
    if not isinstance(message, EdxmlStatus):
        raise EdxmlError("expected a status message, got a document", code="edxml.unsupported")
    return message


def message_from_element(root: etree._Element, *, require_content: bool = True) -> EdxmlMessage:
    """Read a parsed ``<edXML>`` root (``require_content=False``: attachment bytes optional)."""
    if local(root) != "edXML":
        raise EdxmlError(f"root element is not edXML: {root.tag}", code="edxml.malformed")
    top = _groups(root)
    envelope = _required(top, "edXMLEnvelope")
    parts = _groups(envelope)
    header_groups = _groups(_required(parts, "edXMLHeader"))
    header = _groups(_required(header_groups, "MessageHeader"))
    signature = _signature(_required(parts, "edXMLHeader"))
    if "StatusCode" in header:
        return _status(header, signature)
    doc = _document(header, signature)
    trace = _single(header_groups, "TraceHeaderList")
    body = _single(parts, "edXMLBody")
    encoded = _single(top, "AttachmentEncoded")
    return _with_parts(doc, trace, body, encoded, require_content)


# -- structure helpers ------------------------------------------------------------------


def _groups(el: etree._Element) -> _Groups:
    found: _Groups = {}
    for child in elements(el):
        found.setdefault(local(child) or child.tag, []).append(child)
    return found


def _single(groups: _Groups, name: str) -> etree._Element | None:
    found = groups.get(name, [])
    if len(found) > 1:
        raise EdxmlError(f"<{name}> appears {len(found)} times", code="edxml.malformed")
    return found[0] if found else None


def _required(groups: _Groups, name: str) -> etree._Element:
    found = _single(groups, name)
    if found is None:
        raise EdxmlError(f"<{name}> is missing", code="edxml.missing_field")
    return found


def _leaves(el: etree._Element, names: dict[str, str]) -> dict[str, Any]:
    return _leaves_except(el, names, set())


def _leaf(groups: _Groups, name: str) -> str | None:
    found = _single(groups, name)
    return None if found is None else text(found)


def _date(groups: _Groups, name: str) -> date | None:
    value = _leaf(groups, name)
    return None if value is None else parse_date(value)


def _stamp(groups: _Groups, name: str) -> datetime | None:
    value = _leaf(groups, name)
    return None if value is None else parse_timestamp(value)


def _build(cls: Callable[..., T], el: etree._Element | None, names: dict[str, str]) -> T | None:
    return None if el is None else cls(**_leaves(el, names))


def _list(el: etree._Element | None, name: str) -> tuple[str, ...]:
    if el is None:
        return ()
    return tuple(v for child in _groups(el).get(name, []) if (v := text(child)) is not None)


# -- document --------------------------------------------------------------------------

_DOCUMENT_KNOWN = {
    "From",
    "To",
    "DocumentId",
    "Code",
    "PromulgationInfo",
    "DocumentType",
    "Subject",
    "Content",
    "SignerInfo",
    "DueDate",
    "OtherInfo",
    "SteeringType",
    "ToPlaces",
    "ResponseFor",
}


def _document(header: _Groups, signature: bytes | None) -> EdxmlDocument:
    sender = _build(Organization, _required(header, "From"), _ORGANIZATION)
    assert sender is not None
    return EdxmlDocument(
        sender=sender,
        recipients=tuple(Organization(**_leaves(el, _ORGANIZATION)) for el in header.get("To", [])),
        document_id=_leaf(header, "DocumentId"),
        code=_build(Code, _single(header, "Code"), _CODE),
        promulgation=_promulgation(_single(header, "PromulgationInfo")),
        document_type=_build(DocumentType, _single(header, "DocumentType"), _DOCUMENT_TYPE),
        subject=_leaf(header, "Subject"),
        content=_leaf(header, "Content"),
        signer=_build(SignerInfo, _single(header, "SignerInfo"), _SIGNER),
        due_date=_date(header, "DueDate"),
        other_info=_other_info(_single(header, "OtherInfo")),
        steering_type=_leaf(header, "SteeringType"),
        to_places=_list(_single(header, "ToPlaces"), "Place"),
        response_for=tuple(_response_for(el) for el in header.get("ResponseFor", [])),
        signature=signature,
        extra=_extra(header, _DOCUMENT_KNOWN),
    )


def _promulgation(el: etree._Element | None) -> PromulgationInfo | None:
    if el is None:
        return None
    groups = _groups(el)
    return PromulgationInfo(place=_leaf(groups, "Place"), date=_date(groups, "PromulgationDate"))


def _other_info(el: etree._Element | None) -> OtherInfo | None:
    if el is None:
        return None
    appendixes = _list(_single(_groups(el), "Appendixes"), "Appendix")
    return OtherInfo(**_leaves_except(el, _OTHER, {"Appendixes"}), appendixes=appendixes)


def _leaves_except(el: etree._Element, names: dict[str, str], skip: set[str]) -> dict[str, Any]:
    groups = _groups(el)
    values: dict[str, Any] = {}
    for name, items in groups.items():
        if name in skip:
            continue
        if name in names:
            if len(items) > 1:
                raise EdxmlError(f"<{name}> appears {len(items)} times", code="edxml.malformed")
            values[names[name]] = text(items[0])
        elif any(True for _ in elements(items[0])):
            raise EdxmlError(f"unexpected <{name}> inside <{local(el)}>", code="edxml.malformed")
    return values


def _response_for(el: etree._Element) -> ResponseFor:
    values = _leaves_except(el, _RESPONSE, {"PromulgationDate"})
    return ResponseFor(**values, promulgation_date=_date(_groups(el), "PromulgationDate"))


def _extra(header: _Groups, known: set[str]) -> tuple[bytes, ...]:
    return tuple(
        _xml.serialize(el) for name, items in header.items() if name not in known for el in items
    )


def _signature(header: etree._Element) -> bytes | None:
    found = [el for el in elements(header) if etree.QName(el).localname == "Signature"]
    if len(found) > 1:
        raise EdxmlError("more than one <Signature>", code="edxml.malformed")
    return _xml.serialize(found[0]) if found else None


# -- trace, business, body, attachments ------------------------------------------------


def _with_parts(
    doc: EdxmlDocument,
    trace: etree._Element | None,
    body: etree._Element | None,
    encoded: etree._Element | None,
    require_content: bool,
) -> EdxmlDocument:
    trace_groups = _groups(trace) if trace is not None else {}
    manifest = _single(_groups(body), "edXMLManifest") if body is not None else None
    return replace(
        doc,
        trace_headers=tuple(_trace_header(el) for el in trace_groups.get("TraceHeader", [])),
        business=_business(_single(trace_groups, "Bussiness")),
        manifest=tuple(
            ManifestReference(**_leaves(el, _MANIFEST))
            for el in (_groups(manifest).get("Reference", []) if manifest is not None else [])
        ),
        attachments=tuple(
            _attachment(el, require_content)
            for el in (_groups(encoded).get("Attachment", []) if encoded is not None else [])
        ),
    )


def _trace_header(el: etree._Element) -> TraceHeader:
    groups = _groups(el)
    return TraceHeader(organ_id=_leaf(groups, "OrganId"), timestamp=_stamp(groups, "Timestamp"))


def _business(el: etree._Element | None) -> Business | None:
    if el is None:
        return None
    groups = _groups(el)
    replacements = _single(groups, "ReplacementInfoList")
    return Business(
        doc_type=_leaf(groups, "BussinessDocType"),
        document_id=_leaf(groups, "DocumentId"),
        reason=_leaf(groups, "BussinessDocReason"),
        paper=_leaf(groups, "Paper"),
        document_info=_business_info(_single(groups, "BussinessDocumentInfo")),
        replacements=tuple(
            ReplacementInfo(
                document_id=_leaf(_groups(info), "DocumentId"),
                organ_ids=_list(_single(_groups(info), "OrganIdList"), "OrganId"),
            )
            for info in (
                _groups(replacements).get("ReplacementInfo", []) if replacements is not None else []
            )
        ),
        staff_info=_build(StaffInfo, _single(groups, "StaffInfo"), _STAFF),
    )


def _business_info(el: etree._Element | None) -> BusinessDocumentInfo | None:
    if el is None:
        return None
    groups = _groups(el)
    receivers = _single(groups, "ReceiverList")
    return BusinessDocumentInfo(
        document_info=_leaf(groups, "DocumentInfo"),
        document_receiver=_leaf(groups, "DocumentReceiver"),
        receivers=tuple(
            Receiver(**_leaves(r, {"OrganId": "organ_id", "ReceiverType": "receiver_type"}))
            for r in (_groups(receivers).get("Receiver", []) if receivers is not None else [])
        ),
    )


def _attachment(el: etree._Element, require_content: bool) -> EdxmlAttachment:
    meta = _leaves_except(el, _MANIFEST, {"ContentTransferEncoded"})
    encoded = _leaf(_groups(el), "ContentTransferEncoded")
    if encoded is None and require_content:
        raise EdxmlError("attachment without ContentTransferEncoded", code="edxml.malformed")
    return EdxmlAttachment(data=_decode(encoded or ""), **meta)


def _decode(encoded: str) -> bytes:
    compact = "".join(encoded.split()).encode("ascii", "replace")
    if not _BASE64.fullmatch(compact):
        raise EdxmlError("attachment content is not base64", code="edxml.malformed")
    try:
        return base64.b64decode(compact, validate=True)
    except binascii.Error as exc:
        raise EdxmlError(
            f"attachment content is not base64: {exc}", code="edxml.malformed"
        ) from exc


# -- status ----------------------------------------------------------------------------

_STATUS_KNOWN = {"From", "ResponseFor", "StaffInfo", "StatusCode", "Description", "Timestamp"}


def _status(header: _Groups, signature: bytes | None) -> EdxmlStatus:
    sender = _build(Organization, _required(header, "From"), _ORGANIZATION)
    assert sender is not None
    response = _single(header, "ResponseFor")
    return EdxmlStatus(
        sender=sender,
        status_code=_status_code(_leaf(header, "StatusCode") or ""),
        response_for=None if response is None else _response_for(response),
        staff_info=_build(StaffInfo, _single(header, "StaffInfo"), _STAFF),
        description=_leaf(header, "Description"),
        timestamp=_stamp(header, "Timestamp"),
        signature=signature,
        extra=_extra(header, _STATUS_KNOWN),
    )


def _status_code(value: str) -> str:
    code = value.zfill(2) if value.isdigit() else value
    if code not in STATUS_CODES:
        raise EdxmlError(f"unknown StatusCode {value!r}", code="edxml.bad_status")
    return code
