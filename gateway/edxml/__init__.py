"""edXML (QCVN 102:2016/BTTTT): read, write, validate and map to envelopes and receipts.

::

    read_message(bytes) -> EdxmlDocument | EdxmlStatus      reader
    write_message(message) -> bytes                         writer
    edxml_to_envelope(doc, store_blob) -> Envelope          mapping
    envelope_to_edxml(env, load_blob) -> EdxmlDocument
    edxml_status_to_receipt(status) -> Receipt
    receipt_to_edxml_status(receipt) -> EdxmlStatus
    equivalent(a, b) -> bool                                equivalence
    validate(root)                                          schema (XSDs in ``xsd/``)
"""

from gateway.edxml.equivalence import differences, equivalent
from gateway.edxml.mapping import (
    EMPTY_DIGEST,
    LoadBlob,
    StoreBlob,
    edxml_status_to_receipt,
    edxml_to_envelope,
    envelope_to_edxml,
    receipt_to_edxml_status,
)
from gateway.edxml.model import EDXML_NS, EdxmlAttachment, EdxmlDocument, EdxmlMessage, EdxmlStatus
from gateway.edxml.reader import read_document, read_message, read_status
from gateway.edxml.writer import write_document, write_message, write_status

__all__ = [
    "EDXML_NS",
    "EMPTY_DIGEST",
    "EdxmlAttachment",
    "EdxmlDocument",
    "EdxmlMessage",
    "EdxmlStatus",
    "LoadBlob",
    "StoreBlob",
    "differences",
    "edxml_status_to_receipt",
    "edxml_to_envelope",
    "envelope_to_edxml",
    "equivalent",
    "read_document",
    "read_message",
    "read_status",
    "receipt_to_edxml_status",
    "write_document",
    "write_message",
    "write_status",
]
