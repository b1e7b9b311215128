"""The revocation side of the key store: the CRL file, signed from ``index.json``'s
revocations and re-signed once past half its lifetime, and the reading of a serial as an
operator types it (``lienthong keys revoke``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway.errors import PkiError
from gateway.pki import ca
from gateway.pki.keyfiles import PrivateKey, write_file_atomic

__all__ = ["load_crl", "near_expiry", "serial_candidates", "write_crl"]


def write_crl(
    path: Path, ca_key: PrivateKey, ca_cert: x509.Certificate, index: dict[str, Any]
) -> None:
    """Sign a fresh CRL of ``index``'s revocations at ``path``, bumping the index's CRL
    number (the caller saves the index after: a process that sees it move finds the CRL)."""
    index["crl_number"] = int(index.get("crl_number", 0)) + 1
    revoked = [
        (int(serial, 16), datetime.fromisoformat(when))
        for serial, when in sorted(index["revoked"].items())
    ]
    crl = ca.build_crl(ca_key, ca_cert, revoked, number=index["crl_number"])
    write_file_atomic(path, crl.public_bytes(serialization.Encoding.PEM))


def load_crl(path: Path) -> x509.CertificateRevocationList | None:
    """The CRL at ``path``; None when there is none yet."""
    if not path.exists():
        return None
    try:
        return x509.load_pem_x509_crl(path.read_bytes())
    except ValueError as exc:
        raise PkiError("crl.pem is not a PEM CRL", code="pki.error") from exc


def near_expiry(crl: x509.CertificateRevocationList) -> bool:
    """Past half its lifetime (or without a next update): time to re-sign it."""
    next_update = crl.next_update_utc
    if next_update is None:
        return True
    return next_update - datetime.now(UTC) < timedelta(days=ca.CRL_DAYS / 2)


def serial_candidates(text: str) -> list[int]:
    """Readings of a serial as typed: ``0x…`` hex, ``aa:bb`` hex, decimal, then plain hex."""
    cleaned = text.replace(":", "").lower()
    if cleaned.startswith("0x"):
        return _parse(cleaned[2:], 16)
    return _parse(cleaned, 10) + _parse(cleaned, 16)


def _parse(text: str, base: int) -> list[int]:
    try:
        return [int(text, base)]
    except ValueError:
        return []
