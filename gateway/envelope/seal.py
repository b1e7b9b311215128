"""Model -> signed bytes: build the element, sign it, return the document."""

from __future__ import annotations

from cryptography import x509

from gateway.envelope.codec import envelope_to_element, receipt_to_element
from gateway.envelope.model import Envelope, Receipt
from gateway.envelope.signing import sign_element
from gateway.pki.keyfiles import PrivateKey

__all__ = ["seal_envelope", "seal_receipt"]


def seal_envelope(env: Envelope, key: PrivateKey, cert: x509.Certificate) -> bytes:
    """The signed XML of ``env`` (enveloped XML-DSig with ``key``; ``cert`` in KeyInfo)."""
    return sign_element(envelope_to_element(env), key, cert)


def seal_receipt(r: Receipt, key: PrivateKey, cert: x509.Certificate) -> bytes:
    """The signed XML of receipt ``r``."""
    return sign_element(receipt_to_element(r), key, cert)
