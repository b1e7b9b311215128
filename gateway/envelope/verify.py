"""Verify a signed envelope or receipt and return only what the signature covers.

The steps, each refusing with its own stable code:

1. hardened parse (:func:`gateway.xmlsafe.parse_xml`, ``xml.*``);
2. the root is an Envelope (or a Receipt) of our namespace (``envelope.schema``);
3. exactly one ds:Signature, the root's last child (``signature.missing|multiple|misplaced``);
4. the DSig profile: exc-C14N, RSA/ECDSA-SHA256, one Reference ``URI=""``, transforms
   enveloped + exc-C14N only, SHA-256 (:mod:`gateway.envelope.profile`);
5. the KeyInfo certificate is only a hint: the trust store decides (chain to the hub CA,
   dates, key usage, CRL) and names the signer's unit;
6. xmlsec checks the digest and the signature value with *that* certificate's public key
   (``signature.digest_mismatch``, ``signature.invalid``);
7. comments are dropped (C14N without comments did not sign them, so they may not change
   what is read), then the XSD and the model decoder run on the verified tree.

Because the Reference is the whole document and the model is read from the very tree that
was verified, content cannot hide beside or around the signed part (wrapping).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Generic, TypeVar

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from gateway.envelope import schema
from gateway.envelope.codec import envelope_from_element, receipt_from_element
from gateway.envelope.model import ENVELOPE_NS, RECEIPT_NS, Envelope, Receipt
from gateway.envelope.profile import (
    ECDSA_SHA256,
    RSA_SHA256,
    SignatureProfile,
    check_profile,
    locate_signature,
)
from gateway.errors import EnvelopeError, SignatureError
from gateway.pki.trust import TrustStore
from gateway.xmlsafe import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, parse_xml

__all__ = ["VerifiedEnvelope", "VerifiedReceipt", "verify_envelope", "verify_receipt"]

_ENVELOPE_TAG: Final = f"{{{ENVELOPE_NS}}}Envelope"
_RECEIPT_TAG: Final = f"{{{RECEIPT_NS}}}Receipt"
_CACHE_SIZE: Final = 1024


@dataclass(frozen=True, slots=True)
class VerifiedEnvelope:
    """An envelope whose signature, signer and schema have been checked."""

    envelope: Envelope
    xml: bytes  # exactly as received
    digest: str  # SHA-256 hex of ``xml``
    signer_unit: str
    certificate: x509.Certificate


@dataclass(frozen=True, slots=True)
class VerifiedReceipt:
    """A receipt whose signature, signer and schema have been checked."""

    receipt: Receipt
    xml: bytes
    digest: str
    signer_unit: str
    certificate: x509.Certificate


def verify_envelope(
    data: bytes,
    trust: TrustStore,
    *,
    now: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> VerifiedEnvelope:
    """Verify a signed envelope; raise ``xml.*``, ``signature.*`` or ``envelope.*``."""
    root, unit, cert = _verify_signed(data, trust, now, max_bytes, max_depth, _ENVELOPE_TAG)
    envelope = envelope_from_element(root)
    return VerifiedEnvelope(envelope, data, _sha256_hex(data), unit, cert)


def verify_receipt(
    data: bytes,
    trust: TrustStore,
    *,
    now: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> VerifiedReceipt:
    """Verify a signed receipt; raise ``xml.*``, ``signature.*`` or ``envelope.*``."""
    root, unit, cert = _verify_signed(data, trust, now, max_bytes, max_depth, _RECEIPT_TAG)
    receipt = receipt_from_element(root)
    return VerifiedReceipt(receipt, data, _sha256_hex(data), unit, cert)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verify_signed(
    data: bytes,
    trust: TrustStore,
    now: datetime | None,
    max_bytes: int,
    max_depth: int,
    root_tag: str,
) -> tuple[etree._Element, str, x509.Certificate]:
    root = parse_xml(data, max_bytes=max_bytes, max_depth=max_depth)
    if root.tag != root_tag:
        raise EnvelopeError(f"expected {root_tag}, found {root.tag!r}", code="envelope.schema")
    profile = check_profile(locate_signature(root))
    signer = _signer(profile.certificate_der)
    unit = _trusted_unit(trust, signer, now or datetime.now(UTC))
    _check_key_matches_method(signer.certificate, profile.method)
    _verify_crypto(root, profile, signer.key)
    etree.strip_tags(root, etree.Comment)
    schema.validate(root)
    return root, unit, signer.certificate


# --- the signer's certificate: parsed once, trusted per minute ------------------------------


@dataclass(frozen=True, slots=True)
class _Signer:
    fingerprint: bytes
    certificate: x509.Certificate
    key: xmlsec.Key


_K = TypeVar("_K")
_V = TypeVar("_V")


class _Lru(Generic[_K, _V]):
    """A small thread-safe LRU map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[_K, _V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> _V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: _K, value: _V) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_signers: _Lru[bytes, _Signer] = _Lru(_CACHE_SIZE)
# (id(trust), certificate fingerprint, minute) -> (trust, unit); holding ``trust`` keeps its
# id from being reused by another store while the entry lives.
_trusted: _Lru[tuple[int, bytes, int], tuple[TrustStore, str]] = _Lru(_CACHE_SIZE)


def _signer(der: bytes) -> _Signer:
    fingerprint = hashlib.sha256(der).digest()
    cached = _signers.get(fingerprint)
    if cached is not None:
        return cached
    try:
        certificate = x509.load_der_x509_certificate(der)
        public_pem = certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        key = xmlsec.Key.from_memory(public_pem, xmlsec.constants.KeyDataFormatPem)
    except (ValueError, TypeError, xmlsec.Error) as exc:
        raise SignatureError(
            "the KeyInfo certificate cannot be read", code="signature.untrusted_certificate"
        ) from exc
    signer = _Signer(fingerprint, certificate, key)
    _signers.put(fingerprint, signer)
    return signer


def _trusted_unit(trust: TrustStore, signer: _Signer, now: datetime) -> str:
    """``trust.check`` with its costly part (chain, CRL signatures) cached per minute.

    The validity dates are compared on every call, so the cache never stretches them.
    """
    cert = signer.certificate
    if now < cert.not_valid_before_utc or now > cert.not_valid_after_utc:
        return trust.check(cert, now)  # raises the precise date error
    key = (id(trust), signer.fingerprint, int(now.timestamp() // 60))
    cached = _trusted.get(key)
    if cached is not None and cached[0] is trust:
        return cached[1]
    unit = trust.check(cert, now)
    _trusted.put(key, (trust, unit))
    return unit


def _check_key_matches_method(cert: x509.Certificate, method: str) -> None:
    key = cert.public_key()
    if method == RSA_SHA256 and isinstance(key, rsa.RSAPublicKey):
        return
    if (
        method == ECDSA_SHA256
        and isinstance(key, ec.EllipticCurvePublicKey)
        and isinstance(key.curve, ec.SECP256R1)
    ):
        return
    raise SignatureError(
        "the KeyInfo certificate's key cannot have made this signature",
        code="signature.key_mismatch",
    )


# --- cryptography ----------------------------------------------------------------------------


def _context(key: xmlsec.Key) -> xmlsec.SignatureContext:
    context = xmlsec.SignatureContext()
    context.key = key
    for transform in (
        xmlsec.constants.TransformEnveloped,
        xmlsec.constants.TransformExclC14N,
        xmlsec.constants.TransformSha256,
    ):
        context.enable_reference_transform(transform)
    for transform in (
        xmlsec.constants.TransformExclC14N,
        xmlsec.constants.TransformRsaSha256,
        xmlsec.constants.TransformEcdsaSha256,
    ):
        context.enable_signature_transform(transform)
    return context


def _verify_crypto(root: etree._Element, profile: SignatureProfile, key: xmlsec.Key) -> None:
    try:
        _context(key).verify(profile.signature)
    except (xmlsec.VerificationError, xmlsec.Error) as exc:
        if _recomputed_digest(root, profile.signature) != profile.digest_value:
            raise SignatureError(
                "the signed content was changed after signing", code="signature.digest_mismatch"
            ) from exc
        raise SignatureError(
            "the signature value does not verify with the KeyInfo certificate's key",
            code="signature.invalid",
        ) from exc


def _recomputed_digest(root: etree._Element, signature: etree._Element) -> bytes:
    """SHA-256 of the document without its signature, as the Reference would digest it.

    Only used to explain a failure (digest vs. signature value); never to accept.
    """
    position = root.index(signature)
    root.remove(signature)
    try:
        canonical = etree.tostring(root, method="c14n", exclusive=True, with_comments=False)
    finally:
        root.insert(position, signature)
    return hashlib.sha256(canonical).digest()
