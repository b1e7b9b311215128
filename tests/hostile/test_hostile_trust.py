"""Hostile certificates: the KeyInfo certificate is a hint, the trust store decides."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from lxml import etree
from support.certs import CertFactory, Issued
from support.envelopes import SENDER, sample_envelope
from support.hostile import Refuses, edit, find

from gateway.envelope.seal import seal_envelope
from gateway.pki.trust import TrustStore


def _sealed(issued: Issued) -> bytes:
    return seal_envelope(sample_envelope(), issued.key, issued.cert)


def test_certificate_from_another_ca(refuses: Refuses) -> None:
    """A validly signed envelope whose certificate chains to a foreign CA is untrusted."""
    rogue = CertFactory(name="Test Hub CA", key_slot=2)  # same name, other key
    refuses(_sealed(rogue.issue(SENDER, slot=5)), "signature.untrusted_certificate")


def test_self_signed_certificate(refuses: Refuses) -> None:
    """A CA certificate used directly as the signer's own is untrusted."""
    rogue = CertFactory(name="Rogue", key_slot=3)
    issued = Issued(SENDER, rogue.ca_key, rogue.ca_cert)
    refuses(_sealed(issued), "signature.untrusted_certificate")


def test_expired_certificate(factory: CertFactory, refuses: Refuses) -> None:
    """A certificate past its notAfter: signature.certificate_expired."""
    refuses(_sealed(factory.expired(SENDER)), "signature.certificate_expired")


def test_not_yet_valid_certificate(factory: CertFactory, refuses: Refuses) -> None:
    """A certificate before its notBefore: signature.certificate_not_yet_valid."""
    refuses(_sealed(factory.not_yet_valid(SENDER)), "signature.certificate_not_yet_valid")


def test_revoked_certificate(refuses: Refuses) -> None:
    """A certificate on the hub CA's CRL: signature.certificate_revoked."""
    local = CertFactory(name="Test Hub CA 2", key_slot=4)
    issued = local.issue(SENDER, slot=6)
    local.revoke(issued)
    refuses(_sealed(issued), "signature.certificate_revoked", trust_store=local.trust_store())


def test_stale_crl_fails_closed(factory: CertFactory, refuses: Refuses) -> None:
    """A CRL past its nextUpdate refuses every certificate it covers: signature.crl_stale."""
    issued = factory.issue(SENDER, slot=7)
    stale = TrustStore.of(
        [factory.ca_cert], [factory.crl(next_update=datetime.now(UTC) - timedelta(hours=1))]
    )
    refuses(_sealed(issued), "signature.crl_stale", trust_store=stale)


def test_certificate_without_digital_signature(factory: CertFactory, refuses: Refuses) -> None:
    """A certificate whose key usage lacks digitalSignature: signature.key_usage."""
    refuses(_sealed(factory.no_signing_usage(SENDER)), "signature.key_usage")


def test_keyinfo_without_certificate(good: bytes, refuses: Refuses) -> None:
    """A signature that names no certificate cannot be trusted."""
    data = edit(good, lambda r: find(r, "ds:Signature/ds:KeyInfo").clear())
    refuses(data, "signature.untrusted_certificate")


def test_keyinfo_certificate_garbage(good: bytes, refuses: Refuses) -> None:
    """Bytes that are not a certificate in X509Certificate are untrusted."""

    def change(root: etree._Element) -> None:
        cert = find(root, "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate")
        cert.text = base64.b64encode(b"not a certificate").decode()

    refuses(edit(good, change), "signature.untrusted_certificate")
