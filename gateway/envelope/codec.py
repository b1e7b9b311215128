"""Model <-> XML: envelopes and receipts as unsigned lxml elements, and back.

Encoding writes compact XML (no indentation) in our namespaces with ``version="1"``;
datetimes are written in UTC as ISO-8601 with a ``Z``. Decoding reads a tree that has
already been validated against the XSD (see ``verify``), so it only converts values; a value
the XSD lets through but the model refuses is ``envelope.invalid``.

Extensions travel as serialized XML: one ``<Extensions>`` element in the envelope's (or
receipt's) namespace. Decoding returns it in exclusive-C14N form.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TypeVar

from lxml import etree

from gateway.envelope.model import (
    ENVELOPE_NS,
    RECEIPT_NS,
    Attachment,
    DocumentMeta,
    Envelope,
    Kind,
    Receipt,
    Status,
)
from gateway.errors import EnvelopeError, GatewayError
from gateway.text import nfc
from gateway.xmlsafe import parse_xml

__all__ = [
    "envelope_from_element",
    "envelope_to_element",
    "format_datetime",
    "parse_datetime",
    "receipt_from_element",
    "receipt_to_element",
]

_E = f"{{{ENVELOPE_NS}}}"
_R = f"{{{RECEIPT_NS}}}"
_T = TypeVar("_T")

#: DocumentMeta fields in XSD order, with their element names.
_DOCUMENT_FIELDS: tuple[tuple[str, str], ...] = (
    ("subject", "Subject"),
    ("number", "Number"),
    ("notation", "Notation"),
    ("doc_type", "DocType"),
    ("issued_place", "IssuedPlace"),
    ("issued_on", "IssuedOn"),
    ("signer_name", "SignerName"),
    ("signer_position", "SignerPosition"),
    ("urgency", "Urgency"),
    ("confidentiality", "Confidentiality"),
    ("due_date", "DueDate"),
    ("page_count", "PageCount"),
    ("content", "Content"),
)

_READERS: dict[str, Callable[[str], object]] = {
    "issued_on": date.fromisoformat,
    "due_date": date.fromisoformat,
    "page_count": int,
}


# --- values --------------------------------------------------------------------------------


def format_datetime(value: datetime) -> str:
    """UTC ISO-8601 with ``Z``; a naive datetime is refused (``envelope.invalid``)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise EnvelopeError(f"datetime {value!r} has no time zone", code="envelope.invalid")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(text: str) -> datetime:
    """Read an ISO-8601 datetime with an offset and return it in UTC."""
    value = _convert(datetime.fromisoformat, text.strip(), "datetime")
    if value.tzinfo is None:
        raise EnvelopeError(f"datetime {text!r} has no time zone", code="envelope.invalid")
    return value.astimezone(UTC)


def _format_value(value: object) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _convert(func: Callable[[str], _T], text: str, what: str) -> _T:
    try:
        return func(text)
    except (ValueError, TypeError) as exc:
        raise EnvelopeError(f"bad {what} {text!r}", code="envelope.invalid") from exc


def _text(element: etree._Element) -> str:
    """All the character data of a leaf element (comments never split what we read)."""
    return nfc("".join(map(str, element.itertext())) if len(element) else (element.text or ""))


# --- building ------------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, value: object) -> etree._Element:
    child = etree.SubElement(parent, tag)
    child.text = _format_value(value)
    return child


def _opt(parent: etree._Element, tag: str, value: object | None) -> None:
    if value is not None:
        _sub(parent, tag, value)


def _append_extensions(parent: etree._Element, data: bytes | None, namespace: str) -> None:
    if data is None:
        return
    try:
        extensions = parse_xml(data)
    except GatewayError as exc:
        raise EnvelopeError(f"extensions: {exc.message}", code="envelope.invalid") from exc
    if extensions.tag != f"{{{namespace}}}Extensions":
        raise EnvelopeError(
            f"extensions must be one {{{namespace}}}Extensions element", code="envelope.invalid"
        )
    parent.append(extensions)


def envelope_to_element(env: Envelope) -> etree._Element:
    """The unsigned ``<Envelope version="1">`` element for ``env``."""
    root = etree.Element(f"{_E}Envelope", nsmap={None: ENVELOPE_NS})  # type: ignore[dict-item]
    root.set("version", "1")
    _build_header(etree.SubElement(root, f"{_E}Header"), env)
    document = etree.SubElement(root, f"{_E}Document")
    for field, tag in _DOCUMENT_FIELDS:
        _opt(document, f"{_E}{tag}", getattr(env.document, field))
    manifest = etree.SubElement(root, f"{_E}Manifest")
    for attachment in env.attachments:
        _build_attachment(manifest, attachment)
    _append_extensions(root, env.extensions, ENVELOPE_NS)
    return root


def _build_header(header: etree._Element, env: Envelope) -> None:
    _sub(header, f"{_E}MessageId", env.message_id)
    _sub(header, f"{_E}Sender", env.sender)
    recipients = etree.SubElement(header, f"{_E}Recipients")
    for unit in env.recipients:
        _sub(recipients, f"{_E}Unit", unit)
    for group in env.groups:
        _sub(recipients, f"{_E}Group", group)
    _sub(header, f"{_E}Created", env.created)
    _opt(header, f"{_E}Expires", env.expires)
    _sub(header, f"{_E}Kind", env.kind.value)
    _opt(header, f"{_E}RefersTo", env.refers_to)


def _build_attachment(manifest: etree._Element, attachment: Attachment) -> None:
    element = etree.SubElement(manifest, f"{_E}Attachment")
    element.set("name", attachment.name)
    element.set("mediaType", attachment.media_type)
    element.set("size", str(attachment.size))
    element.set("sha256", attachment.sha256)
    _opt(element, f"{_E}Description", attachment.description)


def receipt_to_element(receipt: Receipt) -> etree._Element:
    """The unsigned ``<Receipt version="1">`` element for ``receipt``."""
    root = etree.Element(f"{_R}Receipt", nsmap={None: RECEIPT_NS})  # type: ignore[dict-item]
    root.set("version", "1")
    _sub(root, f"{_R}ReceiptId", receipt.receipt_id)
    _sub(root, f"{_R}MessageId", receipt.message_id)
    _sub(root, f"{_R}EnvelopeDigest", receipt.envelope_digest)
    _sub(root, f"{_R}Recipient", receipt.recipient)
    _opt(root, f"{_R}Issuer", receipt.issuer)
    status = etree.SubElement(root, f"{_R}Status")
    _sub(status, f"{_R}Code", receipt.status.code)
    _sub(status, f"{_R}Name", receipt.status.label)
    _opt(root, f"{_R}Reason", receipt.reason)
    _sub(root, f"{_R}Timestamp", receipt.timestamp)
    _append_extensions(root, receipt.extensions, RECEIPT_NS)
    return root


# --- reading -------------------------------------------------------------------------------


def _children(element: etree._Element, ns: str) -> dict[str, etree._Element]:
    """Child elements by local name (first one wins; the XSD already fixed the counts)."""
    found: dict[str, etree._Element] = {}
    skip = len(ns)
    for child in element.iterchildren(f"{ns}*"):
        found.setdefault(child.tag[skip:], child)
    return found


def _required(children: dict[str, etree._Element], name: str) -> etree._Element:
    try:
        return children[name]
    except KeyError:
        raise EnvelopeError(f"<{name}> is missing", code="envelope.schema") from None


def _read_optional(
    children: dict[str, etree._Element], name: str, convert: Callable[[str], _T]
) -> _T | None:
    element = children.get(name)
    return None if element is None else _convert(convert, _text(element), name)


def _read_uuid(children: dict[str, etree._Element], name: str) -> uuid.UUID:
    return _convert(uuid.UUID, _text(_required(children, name)), name)


def _extensions(children: dict[str, etree._Element]) -> bytes | None:
    element = children.get("Extensions")
    if element is None:
        return None
    return etree.tostring(element, method="c14n", exclusive=True, with_comments=False)


def envelope_from_element(root: etree._Element) -> Envelope:
    """The :class:`Envelope` an (XSD-valid) ``<Envelope>`` element states."""
    if root.tag != f"{_E}Envelope":
        raise EnvelopeError(f"not an envelope: {root.tag!r}", code="envelope.schema")
    top = _children(root, _E)
    header = _children(_required(top, "Header"), _E)
    recipients = _required(header, "Recipients")
    manifest = _required(top, "Manifest")
    return Envelope(
        message_id=_read_uuid(header, "MessageId"),
        sender=_text(_required(header, "Sender")),
        recipients=tuple(_text(e) for e in recipients.iterchildren(f"{_E}Unit")),
        groups=tuple(_text(e) for e in recipients.iterchildren(f"{_E}Group")),
        created=parse_datetime(_text(_required(header, "Created"))),
        expires=_read_optional(header, "Expires", parse_datetime),
        kind=_convert(Kind, _text(_required(header, "Kind")), "kind"),
        refers_to=_read_optional(header, "RefersTo", uuid.UUID),
        document=_read_document(_children(_required(top, "Document"), _E)),
        attachments=tuple(_read_attachment(e) for e in manifest.iterchildren(f"{_E}Attachment")),
        extensions=_extensions(top),
    )


def _read_document(children: dict[str, etree._Element]) -> DocumentMeta:
    values = {
        field: _read_optional(children, tag, _READERS.get(field, str))
        for field, tag in _DOCUMENT_FIELDS
    }
    subject = values.pop("subject")
    if not isinstance(subject, str):
        raise EnvelopeError("<Subject> is missing", code="envelope.schema")
    return DocumentMeta(subject=subject, **values)  # type: ignore[arg-type]


def _read_attachment(element: etree._Element) -> Attachment:
    description = element.find(f"{_E}Description")
    return Attachment(
        name=nfc(element.get("name", "")),
        media_type=element.get("mediaType", ""),
        size=_convert(int, element.get("size", ""), "size"),
        sha256=element.get("sha256", ""),
        description=None if description is None else _text(description),
    )


def receipt_from_element(root: etree._Element) -> Receipt:
    """The :class:`Receipt` an (XSD-valid) ``<Receipt>`` element states."""
    if root.tag != f"{_R}Receipt":
        raise EnvelopeError(f"not a receipt: {root.tag!r}", code="envelope.schema")
    top = _children(root, _R)
    return Receipt(
        receipt_id=_read_uuid(top, "ReceiptId"),
        message_id=_read_uuid(top, "MessageId"),
        envelope_digest=_text(_required(top, "EnvelopeDigest")),
        recipient=_text(_required(top, "Recipient")),
        issuer=_read_optional(top, "Issuer", str),
        status=_read_status(_children(_required(top, "Status"), _R)),
        reason=_read_optional(top, "Reason", str),
        timestamp=parse_datetime(_text(_required(top, "Timestamp"))),
        extensions=_extensions(top),
    )


def _read_status(children: dict[str, etree._Element]) -> Status:
    code = _text(_required(children, "Code"))
    name = _text(_required(children, "Name"))
    try:
        status = Status.parse(code)
    except GatewayError as exc:
        raise EnvelopeError(f"unknown status code {code!r}", code="envelope.invalid") from exc
    if status.label != name:
        raise EnvelopeError(
            f"status code {code} is {status.label!r}, not {name!r}", code="envelope.invalid"
        )
    return status
