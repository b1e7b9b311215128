"""The PDF verdicts carried in a signed receipt (``urn:lienthong:pdfsig:1``, pdfsig-1.xsd).

The hub puts what it found in a message's PDFs into the receipts it builds that first
answer a delivery (01 received, 02 rejected, 03 accepted, and its own 90 expired and 91
failed): one ``<PdfSignatures version="1">`` element inside the receipt's
``<Extensions>``, so the receipt's XML signature covers it and the sender holds, in a
signed statement, whether each PDF arrived as a valid original. Receipts a unit signs
itself, later receipts, and receipts of messages without a PDF carry none (a unit's own
receipt that does is refused: :func:`refuse_foreign_verdicts`); a receipt without it
reads as before (:func:`verdicts_of` gives None).

``extension_xml`` builds the ``<Extensions>`` bytes from the stored report (the JSON of
:mod:`gateway.pdfsig.store`); :func:`verdicts_of` reads it back from a verified receipt,
checked against the schema (``envelope.schema`` when it is malformed).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import cache
from importlib import resources
from typing import Any, Final

from lxml import etree

from gateway.envelope.model import RECEIPT_NS, Receipt, Status
from gateway.errors import EnvelopeError, ReceiptError
from gateway.xmlsafe import parse_xml

__all__ = [
    "CARRIED_BY",
    "PDFSIG_NS",
    "ReceiptVerdicts",
    "extension_xml",
    "refuse_foreign_verdicts",
    "schema_bytes",
    "verdicts_of",
]

PDFSIG_NS: Final = "urn:lienthong:pdfsig:1"
_P: Final = f"{{{PDFSIG_NS}}}"
_XSD: Final = "pdfsig-1.xsd"
#: The statuses whose hub-built receipts carry the verdicts (a delivery's first answer).
CARRIED_BY: Final = frozenset(
    {Status.RECEIVED, Status.REJECTED, Status.ACCEPTED, Status.EXPIRED, Status.FAILED}
)
#: Characters XML 1.0 cannot hold (a hostile certificate's name may have them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Messages whose verdicts (or their absence) are remembered: a broadcast's receipts.
_CACHE = 1024

_SIGNATURE_ATTRS: Final = (
    ("field", "field"),
    ("kind", "kind"),
    ("signer", "signer"),
    ("organisation", "organisation"),
    ("revocation", "revocation"),
    ("revocationSource", "revocation_source"),
    ("certificateSha256", "certificate_sha256"),
)
_SIGNATURE_FLAGS: Final = (
    ("ok", "ok"),
    ("timestamped", "timestamped"),
    ("intact", "intact"),
    ("modifiedAfterSigning", "modified_after_signing"),
    ("trusted", "trusted"),
)


def schema_bytes() -> bytes:
    """The shipped ``pdfsig-1.xsd`` (a copy of ``schemas/pdfsig-1.xsd``)."""
    return resources.files("gateway.pdfsig").joinpath("xsd", _XSD).read_bytes()


@cache
def _schema_document() -> etree._Element:
    return etree.fromstring(schema_bytes(), etree.XMLParser(resolve_entities=False))


_local = threading.local()


def _schema() -> etree.XMLSchema:
    schema: etree.XMLSchema | None = getattr(_local, "schema", None)
    if schema is None:
        schema = _local.schema = etree.XMLSchema(_schema_document())
    return schema


def _text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))[:2000]


def _flag(value: object) -> str:
    return "true" if value else "false"


def _file_element(parent: etree._Element, f: dict[str, Any]) -> None:
    element = etree.SubElement(parent, f"{_P}File")
    element.set("name", _text(f["name"]))
    element.set("sha256", f["sha256"])
    element.set("status", f["status"])
    element.set("checkedAt", f["checked_at"])
    if f.get("problem"):
        etree.SubElement(element, f"{_P}Problem").text = _text(f["problem"])
    for s in f.get("signatures", []):
        sig = etree.SubElement(element, f"{_P}Signature")
        for attr, key in _SIGNATURE_ATTRS:
            sig.set(attr, _text(s.get(key) or ""))
        for attr, key in _SIGNATURE_FLAGS:
            sig.set(attr, _flag(s.get(key)))
        if s.get("signed_at"):
            sig.set("signedAt", s["signed_at"])
        if s.get("problem"):
            etree.SubElement(sig, f"{_P}Problem").text = _text(s["problem"])


def verdicts_element(report: dict[str, Any]) -> etree._Element:
    """The ``<PdfSignatures version="1">`` element of a stored report."""
    root = etree.Element(f"{_P}PdfSignatures", nsmap={"p": PDFSIG_NS})
    root.set("version", "1")
    root.set("policy", report["policy"])
    root.set("flagged", _flag(report.get("flagged")))
    for f in report["files"]:
        _file_element(root, f)
    return root


def extension_xml(report: dict[str, Any]) -> bytes:
    """A receipt's ``<Extensions>`` holding the verdicts of ``report``."""
    extensions = etree.Element(f"{{{RECEIPT_NS}}}Extensions", nsmap={None: RECEIPT_NS})  # type: ignore[dict-item]
    element = verdicts_element(report)
    _check(element)
    extensions.append(element)
    return etree.tostring(extensions, method="c14n", exclusive=True, with_comments=False)


def _check(element: etree._Element) -> None:
    try:
        _schema().assertValid(element)
    except etree.DocumentInvalid as exc:
        raise EnvelopeError(f"{_XSD}: {exc}", code="envelope.schema") from exc


def _bool(text: str | None) -> bool:
    return text in ("true", "1")


def _problem(element: etree._Element) -> str | None:
    found = element.find(f"{_P}Problem")
    return None if found is None else (found.text or "")


def _read_file(element: etree._Element) -> dict[str, Any]:
    signatures = []
    for sig in element.iterchildren(f"{_P}Signature"):
        values: dict[str, Any] = {key: sig.get(attr, "") for attr, key in _SIGNATURE_ATTRS}
        values.update({key: _bool(sig.get(attr)) for attr, key in _SIGNATURE_FLAGS})
        values["signed_at"] = sig.get("signedAt")
        values["problem"] = _problem(sig)
        signatures.append(values)
    return {
        "name": element.get("name", ""),
        "sha256": element.get("sha256", ""),
        "status": element.get("status", ""),
        "checked_at": element.get("checkedAt", ""),
        "problem": _problem(element),
        "signatures": signatures,
    }


def verdicts_of(receipt: Receipt) -> dict[str, Any] | None:
    """The verdicts a (verified) receipt carries: ``{"policy", "flagged", "files"}`` with
    the fields of the stored report; None when it carries none."""
    if receipt.extensions is None:
        return None
    extensions = parse_xml(receipt.extensions)
    found = extensions.findall(f"{_P}PdfSignatures")
    if not found:
        return None
    if len(found) > 1:
        raise EnvelopeError("more than one PdfSignatures in a receipt", code="envelope.schema")
    root = found[0]
    _check(root)
    return {
        "policy": root.get("policy", ""),
        "flagged": _bool(root.get("flagged")),
        "files": [_read_file(f) for f in root.iterchildren(f"{_P}File")],
    }


def refuse_foreign_verdicts(receipt: Receipt) -> None:
    """``receipt.foreign_verdicts`` (422) when a receipt a party signed itself carries
    PDF verdicts: only the hub states what it found (a forged verdict would also make
    every evidence bundle of the message fail)."""
    if receipt.extensions is not None and PDFSIG_NS.encode() in receipt.extensions:
        raise ReceiptError(
            f"a receipt signed by a party may not carry the hub's PDF verdicts ({PDFSIG_NS})",
            code="receipt.foreign_verdicts",
            message_id=str(receipt.message_id),
            http_status=422,
        )


class ReceiptVerdicts:
    """The ``<Extensions>`` a hub-built receipt carries (None: none), from the stored
    reports; a message's answer is remembered, so a broadcast's receipts read it once."""

    def __init__(self, reports: Callable[[str], Awaitable[dict[str, Any] | None]]) -> None:
        self.reports = reports
        self._lock = threading.Lock()
        self._known: OrderedDict[str, bytes | None] = OrderedDict()

    async def __call__(self, message_id: str, status: Status) -> bytes | None:
        """The extensions of ``status``'s receipt on ``message_id``."""
        if status not in CARRIED_BY:
            return None
        with self._lock:
            if message_id in self._known:
                return self._known[message_id]
        report = await self.reports(message_id)
        data = extension_xml(report) if report is not None else None
        with self._lock:
            self._known[message_id] = data
            if len(self._known) > _CACHE:
                self._known.popitem(last=False)
        return data
