"""Interop with signxml, an independent XML-DSig implementation, in both directions."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
    methods,
)
from support.certs import CertFactory, Issued
from support.envelopes import sample_envelope

from gateway.envelope.codec import envelope_from_element, envelope_to_element
from gateway.envelope.seal import seal_envelope
from gateway.envelope.verify import verify_envelope
from gateway.pki.trust import TrustStore

PEM = serialization.Encoding.PEM


def _ca_file(factory: CertFactory, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    path.write_bytes(factory.ca_cert.public_bytes(PEM))
    return str(path)


def test_our_signature_verifies_with_signxml(
    factory: CertFactory, sender: Issued, tmp_path: Path
) -> None:
    """signxml, given only the hub CA, verifies an envelope we sealed and returns it whole."""
    env = sample_envelope()
    data = seal_envelope(env, sender.key, sender.cert)
    config = SignatureConfiguration(
        require_x509=True,
        location="./",
        signature_methods=frozenset({SignatureMethod.RSA_SHA256}),
        digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
    )
    result = XMLVerifier().verify(
        data, ca_pem_file=_ca_file(factory, tmp_path), expect_config=config
    )
    signed = result.signed_xml
    assert signed is not None
    assert envelope_from_element(signed) == env


def test_signxml_signature_verifies_with_us(sender: Issued, trust: TrustStore) -> None:
    """An envelope signed by signxml (enveloped, exc-C14N, RSA-SHA256) passes verify_envelope."""
    env = sample_envelope()
    signer = XMLSigner(
        method=methods.enveloped,
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    key_pem = sender.key.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signed = signer.sign(
        envelope_to_element(env), key=key_pem, cert=sender.cert.public_bytes(PEM).decode()
    )
    data = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    verified = verify_envelope(data, trust)
    assert verified.envelope == env
    assert verified.signer_unit == sender.unit
