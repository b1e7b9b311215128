"""The hub's trust store: which certificates the hub believes, decided here only.

A certificate found in a message (KeyInfo) is a hint: it is believed when it was issued by
a CA in this store, is within its validity dates, allows digital signatures, and is not on
the CRL. A CRL past its nextUpdate fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import NameOID

from gateway.errors import SignatureError

__all__ = ["TrustStore", "unit_code_of"]


def unit_code_of(cert: x509.Certificate) -> str:
    """The unit code a hub certificate was issued to (its subject CN)."""
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise SignatureError(
            "certificate has no common name", code="signature.untrusted_certificate"
        )
    return str(names[0].value)


@dataclass(frozen=True)
class TrustStore:
    """CA certificates the hub trusts and the CRLs they publish."""

    cas: tuple[x509.Certificate, ...]
    crls: tuple[x509.CertificateRevocationList, ...] = field(default=())

    @classmethod
    def of(
        cls, cas: Iterable[x509.Certificate], crls: Iterable[x509.CertificateRevocationList] = ()
    ) -> TrustStore:
        """Build a store from any iterables."""
        return cls(tuple(cas), tuple(crls))

    def check(self, cert: x509.Certificate, at: datetime | None = None) -> str:
        """Return the unit code of ``cert`` if the hub trusts it at ``at``; raise otherwise."""
        now = at or datetime.now(UTC)
        issuer = self._issuer_of(cert)
        if now < cert.not_valid_before_utc:
            raise SignatureError(
                "certificate not yet valid", code="signature.certificate_not_yet_valid"
            )
        if now > cert.not_valid_after_utc:
            raise SignatureError("certificate expired", code="signature.certificate_expired")
        self._check_key_usage(cert)
        self._check_revocation(cert, issuer, now)
        return unit_code_of(cert)

    def _issuer_of(self, cert: x509.Certificate) -> x509.Certificate:
        for ca in self.cas:
            if ca.subject != cert.issuer:
                continue
            try:
                cert.verify_directly_issued_by(ca)
            except (ValueError, TypeError, InvalidSignature):
                continue
            return ca
        raise SignatureError(
            "certificate was not issued by the hub CA", code="signature.untrusted_certificate"
        )

    @staticmethod
    def _check_key_usage(cert: x509.Certificate) -> None:
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            raise SignatureError(
                "certificate has no key usage", code="signature.key_usage"
            ) from None
        if not usage.digital_signature:
            raise SignatureError("certificate may not sign", code="signature.key_usage")

    def _check_revocation(
        self, cert: x509.Certificate, issuer: x509.Certificate, now: datetime
    ) -> None:
        for crl in self.crls:
            if crl.issuer != issuer.subject or not crl.is_signature_valid(issuer.public_key()):  # type: ignore[arg-type]
                continue
            next_update = crl.next_update_utc
            if next_update is not None and now > next_update:
                raise SignatureError("the CRL is stale", code="signature.crl_stale")
            if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
                raise SignatureError("certificate revoked", code="signature.certificate_revoked")
