"""Envelopes and receipts: the model, XML build/parse, sealing, verification, attachments.

The public surface (internals are free to move)::

    seal_envelope(env, key, cert) -> bytes            seal_receipt(r, key, cert) -> bytes
    verify_envelope(data, trust, ...) -> VerifiedEnvelope
    verify_receipt(data, trust, ...) -> VerifiedReceipt
    check_attachments(env, blobs)                     hash_file(path) -> (sha256, size)
"""

from gateway.envelope.attachments import BlobLookup, check_attachments, hash_file
from gateway.envelope.codec import (
    envelope_from_element,
    envelope_to_element,
    receipt_from_element,
    receipt_to_element,
)
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
from gateway.envelope.seal import seal_envelope, seal_receipt
from gateway.envelope.signing import sign_element
from gateway.envelope.verify import (
    VerifiedEnvelope,
    VerifiedReceipt,
    verify_envelope,
    verify_receipt,
)

__all__ = [
    "ENVELOPE_NS",
    "RECEIPT_NS",
    "Attachment",
    "BlobLookup",
    "DocumentMeta",
    "Envelope",
    "Kind",
    "Receipt",
    "Status",
    "VerifiedEnvelope",
    "VerifiedReceipt",
    "check_attachments",
    "check_unit_code",
    "envelope_from_element",
    "envelope_to_element",
    "hash_file",
    "receipt_from_element",
    "receipt_to_element",
    "seal_envelope",
    "seal_receipt",
    "sign_element",
    "verify_envelope",
    "verify_receipt",
]
