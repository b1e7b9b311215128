"""Seal and verify: each supported key type round-trips, results carry what callers need."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import threading
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from support.certs import CertFactory, Issued, make_key
from support.envelopes import SENDER, sample_envelope, sample_receipt

from gateway.envelope.seal import Sealing, seal_envelope, seal_receipt
from gateway.envelope.signing import DSIG_NS, sign_element
from gateway.envelope.verify import verify_envelope, verify_receipt
from gateway.errors import EnvelopeError, SignatureError
from gateway.pki.trust import TrustStore

DS = f"{{{DSIG_NS}}}"


@pytest.mark.parametrize("key_type", ["rsa2048", "rsa3072", "ecdsa-p256"])
def test_round_trip_per_key_type(factory: CertFactory, trust: TrustStore, key_type: str) -> None:
    """An envelope sealed with each supported key type verifies to the same envelope."""
    issued = factory.issue(SENDER, key_type=key_type)
    env = sample_envelope()
    data = seal_envelope(env, issued.key, issued.cert)
    verified = verify_envelope(data, trust)
    assert verified.envelope == env
    assert verified.signer_unit == SENDER
    assert verified.certificate == issued.cert


def test_verified_envelope_keeps_bytes_and_digest(sender: Issued, trust: TrustStore) -> None:
    """.xml is the bytes exactly as received and .digest their SHA-256 hex."""
    data = seal_envelope(sample_envelope(), sender.key, sender.cert)
    verified = verify_envelope(data, trust)
    assert verified.xml is data
    assert verified.digest == hashlib.sha256(data).hexdigest()


def test_signature_profile(sender: Issued) -> None:
    """The Signature is the root's last child: exc-C14N, RSA-SHA256, one Reference URI=""."""
    root = etree.fromstring(seal_envelope(sample_envelope(), sender.key, sender.cert))
    signature = root[-1]
    assert signature.tag == f"{DS}Signature"
    algorithms = [e.get("Algorithm") for e in signature.iter() if e.get("Algorithm")]
    assert algorithms == [
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    ]
    assert [r.get("URI") for r in signature.iter(f"{DS}Reference")] == [""]
    assert signature.find(f"{DS}KeyInfo/{DS}X509Data/{DS}X509Certificate") is not None


def test_receipt_round_trip(sender: Issued, trust: TrustStore) -> None:
    """A sealed receipt verifies to the same receipt, with digest and signer."""
    receipt = sample_receipt()
    data = seal_receipt(receipt, sender.key, sender.cert)
    verified = verify_receipt(data, trust)
    assert verified.receipt == receipt
    assert verified.digest == hashlib.sha256(data).hexdigest()
    assert verified.signer_unit == SENDER


def test_receipt_is_not_an_envelope(sender: Issued, trust: TrustStore) -> None:
    """A signed receipt offered as an envelope is envelope.schema, and the reverse too."""
    receipt = seal_receipt(sample_receipt(), sender.key, sender.cert)
    envelope = seal_envelope(sample_envelope(), sender.key, sender.cert)
    for call in (lambda: verify_envelope(receipt, trust), lambda: verify_receipt(envelope, trust)):
        with pytest.raises(EnvelopeError) as info:
            call()
        assert info.value.code == "envelope.schema"


def test_key_and_certificate_must_match(factory: CertFactory) -> None:
    """Signing with a key whose public half is not in the certificate is refused."""
    other = factory.issue(SENDER, slot=1)
    with pytest.raises(SignatureError) as info:
        seal_envelope(sample_envelope(), make_key("rsa2048", 0), other.cert)
    assert info.value.code == "signature.key_mismatch"


def test_weak_or_unsupported_keys_cannot_sign(factory: CertFactory) -> None:
    """An ECDSA P-384 key is outside the profile: signature.algorithm."""
    issued = factory.issue(SENDER, key_type="ecdsa-p384")
    assert isinstance(issued.key, ec.EllipticCurvePrivateKey)
    with pytest.raises(SignatureError) as info:
        seal_envelope(sample_envelope(), issued.key, issued.cert)
    assert info.value.code == "signature.algorithm"


def test_already_signed_element_is_refused(sender: Issued) -> None:
    """Signing an element twice would make two signatures: refused."""
    root = etree.fromstring(seal_envelope(sample_envelope(), sender.key, sender.cert))
    with pytest.raises(SignatureError) as info:
        sign_element(root, sender.key, sender.cert)
    assert info.value.code == "signature.multiple"


def test_trust_cache_never_stretches_expiry(factory: CertFactory, trust: TrustStore) -> None:
    """After a cached success, the same certificate past its notAfter is refused."""
    issued = factory.issue(SENDER, slot=2)
    data = seal_envelope(sample_envelope(), issued.key, issued.cert)
    verify_envelope(data, trust)
    later = issued.cert.not_valid_after_utc + timedelta(seconds=1)
    with pytest.raises(SignatureError) as info:
        verify_envelope(data, trust, now=later)
    assert info.value.code == "signature.certificate_expired"


def test_revocation_seen_by_a_new_trust_store(factory: CertFactory) -> None:
    """Once the CRL lists a certificate, a trust store built from it refuses at once."""
    local = CertFactory(name="Revoking CA", key_slot=1)
    issued = local.issue(SENDER, slot=3)
    data = seal_envelope(sample_envelope(), issued.key, issued.cert)
    verify_envelope(data, local.trust_store())
    local.revoke(issued)
    with pytest.raises(SignatureError) as info:
        verify_envelope(data, local.trust_store())
    assert info.value.code == "signature.certificate_revoked"


def test_extensions_survive_signing(sender: Issued, trust: TrustStore) -> None:
    """Foreign-namespace extensions are signed and come back unchanged."""
    ext = (
        b'<Extensions xmlns="urn:lienthong:envelope:1">'
        b'<o:StaffInfo xmlns:o="urn:edxml:other"><o:Name>B</o:Name></o:StaffInfo></Extensions>'
    )
    env = dataclasses.replace(sample_envelope(), extensions=ext)
    verified = verify_envelope(seal_envelope(env, sender.key, sender.cert), trust)
    assert verified.envelope.extensions == ext


@pytest.mark.parametrize("threads", [0, 2])
async def test_the_hubs_sealing_on_the_loop_or_on_threads(
    sender: Issued, trust: TrustStore, threads: int
) -> None:
    """Sealing signs envelopes and receipts that verify, on signing threads when asked."""
    sealing = Sealing(threads)
    try:
        env, receipt = sample_envelope(), sample_receipt()
        sealed = await asyncio.gather(
            *(sealing.seal(m, sender.key, sender.cert) for m in (env, receipt) * 4)
        )
        signing = {t.name for t in threading.enumerate() if t.name.startswith("seal_")}
    finally:
        sealing.close()
    assert all(verify_envelope(x, trust).envelope == env for x in sealed[0::2])
    assert all(verify_receipt(x, trust).receipt == receipt for x in sealed[1::2])
    assert bool(signing) == bool(threads)
