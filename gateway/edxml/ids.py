"""Deterministic message and receipt ids for edXML messages.

edXML DocumentIds are rarely UUIDs (``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT``). A
DocumentId that is a UUID is used as is; any other is mapped with UUIDv5 over
:data:`EDXML_ID_NAMESPACE`, so the same edXML message always gets the same id.

A revoke/update/replace message carries the DocumentId of the document it changes, so
its own id also folds in its kind and its first TraceHeader timestamp: it then never
collides with the original (``refers_to`` points at that one).

Ids derived from outside data include the sender: QCVN 102's DocumentId is
``<issuer unit code>,<date>,<number/notation>``, and :func:`check_document_id` refuses
one that does not name the submitting unit as its issuer (``edxml.bad_document_id``), so
a unit can never take, and so block, the id of another unit's document. A UUID DocumentId
is taken as is, unless it is name-based (version 5: the space of the ids derived here).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from gateway.edxml.model import EdxmlDocument
from gateway.envelope.model import Kind
from gateway.errors import EdxmlError

__all__ = [
    "EDXML_ID_NAMESPACE",
    "check_document_id",
    "document_uuid",
    "message_uuid",
    "receipt_uuid",
    "refers_to",
]

#: Namespace of the UUIDv5 ids derived from edXML DocumentIds (fixed forever).
EDXML_ID_NAMESPACE = uuid.UUID("6f0c1a52-3b0e-5d4c-9a53-1d5e0b0c1021")


def document_uuid(document_id: str) -> uuid.UUID:
    """The UUID a DocumentId stands for: itself if canonical UUID text, else UUIDv5."""
    text = document_id.strip()
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        return uuid.uuid5(EDXML_ID_NAMESPACE, text)
    return parsed if str(parsed) == text.lower() else uuid.uuid5(EDXML_ID_NAMESPACE, text)


def check_document_id(document_id: str, sender: str) -> None:
    """``edxml.bad_document_id`` unless ``sender`` may submit a document with this id:
    ``<sender>,…`` (naming it as the issuer), or a UUID that is not name-based."""
    text = document_id.strip()
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        parsed = None
    if parsed is not None and str(parsed) == text.lower():
        if parsed.version != 5:
            return
        reason = "is a name-based (version 5) UUID, the space of the ids the hub derives"
    else:
        issuer = text.split(",", 1)[0].strip() if "," in text else ""
        if issuer == sender:
            return
        reason = f"names {issuer or 'no unit'} as its issuer, not the sender {sender}"
    raise EdxmlError(f"DocumentId {text!r} {reason}", code="edxml.bad_document_id")


def message_uuid(document_id: str, kind: Kind, first_hop: datetime | None) -> uuid.UUID:
    """The envelope message id of an edXML document message."""
    if kind is Kind.NEW:
        return document_uuid(document_id)
    stamp = first_hop.isoformat() if first_hop else ""
    return uuid.uuid5(EDXML_ID_NAMESPACE, f"{kind.value}|{document_id.strip()}|{stamp}")


def refers_to(doc: EdxmlDocument, kind: Kind) -> uuid.UUID | None:
    """What a revoke/update/replace is about: the replaced document, else the header's."""
    if kind is Kind.NEW or doc.document_id is None:
        return None
    if kind is Kind.REPLACE and doc.business is not None:
        for item in doc.business.replacements:
            if item.document_id:
                return document_uuid(item.document_id)
    return document_uuid(doc.document_id)


def receipt_uuid(document_id: str, issuer: str, code: str, at: datetime) -> uuid.UUID:
    """The receipt id of an edXML status message (one per document, unit, code, time)."""
    return uuid.uuid5(EDXML_ID_NAMESPACE, f"status|{document_id}|{issuer}|{code}|{at.isoformat()}")
