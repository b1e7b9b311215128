"""A test certificate factory: a CA, unit certificates good and bad, a CRL, a trust store.

Keys are generated once per process and reused (RSA generation is slow); nothing is ever
written to disk. Bad certificates on purpose: expired, not yet valid, from another CA,
without the digitalSignature key usage, revoked (listed on the CA's CRL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from gateway.pki.keyfiles import PrivateKey
from gateway.pki.trust import TrustStore

__all__ = ["CertFactory", "Issued", "make_key"]

DAY = timedelta(days=1)


@cache
def make_key(key_type: str = "rsa2048", slot: int = 0) -> PrivateKey:
    """A private key of ``key_type`` (rsa2048, rsa3072, ecdsa-p256); one per (type, slot)."""
    if key_type == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ecdsa-p384":
        return ec.generate_private_key(ec.SECP384R1())
    raise ValueError(key_type)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(*, ca: bool, digital_signature: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=not digital_signature and not ca,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


@dataclass(frozen=True)
class Issued:
    """A unit's private key and certificate."""

    unit: str
    key: PrivateKey
    cert: x509.Certificate


@dataclass
class CertFactory:
    """A test hub CA that issues unit certificates and keeps a CRL."""

    name: str = "Test Hub CA"
    key_slot: int = 0
    revoked: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ca_key = make_key("rsa2048", 100 + self.key_slot)
        now = datetime.now(UTC)
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(self.name))
            .issuer_name(_name(self.name))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - DAY)
            .not_valid_after(now + 3650 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(ca=True, digital_signature=False), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )

    def issue(
        self,
        unit: str,
        *,
        key_type: str = "rsa2048",
        slot: int = 0,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        digital_signature: bool = True,
    ) -> Issued:
        """A certificate for ``unit`` (CN = unit code) over a cached key of ``key_type``."""
        now = datetime.now(UTC)
        key = make_key(key_type, slot)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(unit))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - DAY)
            .not_valid_after(not_after or now + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(ca=False, digital_signature=digital_signature), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        return Issued(unit, key, cert)

    def expired(self, unit: str) -> Issued:
        """A certificate that expired yesterday."""
        now = datetime.now(UTC)
        return self.issue(unit, not_before=now - 30 * DAY, not_after=now - DAY)

    def not_yet_valid(self, unit: str) -> Issued:
        """A certificate that becomes valid tomorrow."""
        now = datetime.now(UTC)
        return self.issue(unit, not_before=now + DAY, not_after=now + 30 * DAY)

    def no_signing_usage(self, unit: str) -> Issued:
        """A certificate whose key usage does not include digitalSignature."""
        return self.issue(unit, digital_signature=False)

    def revoke(self, issued: Issued) -> None:
        """Put ``issued`` on this CA's CRL."""
        self.revoked.append(issued.cert.serial_number)

    def crl(self, *, next_update: datetime | None = None) -> x509.CertificateRevocationList:
        """The CA's current CRL (valid a week unless ``next_update`` says otherwise)."""
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.ca_cert.subject)
            .last_update(now - DAY)
            .next_update(next_update or now + 7 * DAY)
        )
        for serial in self.revoked:
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - timedelta(hours=1))
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(self.ca_key, hashes.SHA256())

    def trust_store(self) -> TrustStore:
        """A trust store holding this CA and its current CRL."""
        return TrustStore.of([self.ca_cert], [self.crl()])
