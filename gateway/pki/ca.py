"""Certificate authority operations as pure functions: CA, unit certificates, CSRs, CRLs.

No files here (see :mod:`gateway.pki.keystore`). Unit certificates carry the unit code as
subject CN, keyUsage digitalSignature + nonRepudiation, extendedKeyUsage clientAuth (so the
same certificate authenticates a TLS client), subject/authority key identifiers and a
random serial.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.envelope.model import check_unit_code
from gateway.errors import PkiError
from gateway.pki.keyfiles import PrivateKey, PublicKey

__all__ = [
    "CLOCK_SKEW",
    "CRL_DAYS",
    "build_ca_certificate",
    "build_crl",
    "check_ca_pair",
    "issue_certificate",
    "load_certificate",
    "load_csr_public_key",
    "unit_uri",
]

#: Certificates start a little in the past so a peer with a slow clock accepts them.
CLOCK_SKEW: Final = timedelta(minutes=5)
#: A CRL's lifetime (nextUpdate - lastUpdate).
CRL_DAYS: Final = 7
_MIN_RSA_BITS: Final = 2048
_EC_CURVES: Final = (ec.SECP256R1, ec.SECP384R1)


def unit_uri(unit: str) -> str:
    """The subjectAltName URI naming a unit (for TLS verifiers that want a SAN)."""
    return f"urn:lienthong:unit:{unit}"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def build_ca_certificate(key: PrivateKey, hub_unit: str, *, days: int) -> x509.Certificate:
    """A self-signed root: CN "Lienthong Hub CA <hub unit>", CA, keyCertSign + cRLSign."""
    now = datetime.now(UTC)
    name = _name(f"Lienthong Hub CA {hub_unit}")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    return builder.sign(key, hashes.SHA256())


def issue_certificate(
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    public_key: PublicKey,
    unit: str,
    *,
    days: int,
) -> x509.Certificate:
    """A unit certificate for ``public_key``, signed by the CA, valid ``days`` days."""
    check_unit_code(unit)
    if days < 1:
        raise PkiError("a certificate must be valid for at least one day", code="pki.error")
    now = datetime.now(UTC)
    not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(unit))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(unit_uri(unit))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(_authority_key_id(ca_cert), critical=False)
    )
    return builder.sign(ca_key, hashes.SHA256())


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _authority_key_id(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(_public_key(ca_cert))
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def _public_key(cert: x509.Certificate) -> PublicKey:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise PkiError("only RSA and EC certificates are supported", code="pki.error")
    return key


def build_crl(
    ca_key: PrivateKey,
    ca_cert: x509.Certificate,
    revoked: Iterable[tuple[int, datetime]],
    *,
    number: int,
    days: int = CRL_DAYS,
) -> x509.CertificateRevocationList:
    """A CRL listing ``(serial, revoked_at)`` pairs, valid ``days`` days from now."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now - CLOCK_SKEW)
        .next_update(now + timedelta(days=days))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(_authority_key_id(ca_cert), critical=False)
    )
    for serial, when in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        builder = builder.add_revoked_certificate(entry)
    return builder.sign(ca_key, hashes.SHA256())


def load_certificate(pem: bytes, *, where: str = "certificate") -> x509.Certificate:
    """Decode one PEM certificate (``pki.error`` if it is not one)."""
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise PkiError(f"{where}: not a PEM certificate", code="pki.error") from exc


def check_ca_pair(cert: x509.Certificate, key: PrivateKey) -> None:
    """Refuse an imported CA whose certificate is not a CA or whose key does not match it."""
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise PkiError("the certificate is not a CA certificate", code="pki.error")
    if _public_key(cert).public_numbers() != key.public_key().public_numbers():
        raise PkiError("the private key does not match the CA certificate", code="pki.error")


def load_csr_public_key(csr_pem: bytes, unit: str) -> PublicKey:
    """The public key of a CSR whose signature verifies; anything else is ``pki.bad_csr``.

    A CSR may leave its subject empty; if it names a CN, that CN must be ``unit``.
    """
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError as exc:
        raise PkiError("the CSR is not a PEM certificate request", code="pki.bad_csr") from exc
    try:
        valid = csr.is_signature_valid
        key = csr.public_key()
    except (ValueError, TypeError) as exc:
        raise PkiError("the CSR cannot be read", code="pki.bad_csr") from exc
    if not valid:
        raise PkiError("the CSR signature is invalid", code="pki.bad_csr")
    names = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if names and names[0].value != unit:
        raise PkiError(f"the CSR names {names[0].value!r}, not {unit!r}", code="pki.bad_csr")
    return _check_public_key(key)


def _check_public_key(key: object) -> PublicKey:
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < _MIN_RSA_BITS:
            raise PkiError(f"RSA keys need {_MIN_RSA_BITS} bits or more", code="pki.bad_csr")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, _EC_CURVES):
            raise PkiError(f"EC curve {key.curve.name} is not accepted", code="pki.bad_csr")
        return key
    raise PkiError("only RSA and EC keys are accepted", code="pki.bad_csr")
