"""The hub's key store under ``HOME/keys``: the CA, unit certificates and keys, the CRL.

Layout (the directory is mode 0700, every ``.key`` is encrypted PKCS#8, mode 0600)::

    keys/ca.pem  ca.key  crl.pem  index.json  .lock
    keys/units/<CODE>/<serial-hex>.pem        the certificate
    keys/units/<CODE>/<serial-hex>.key        its private key, when generated here

``index.json`` records the order of issue and the revocations; the certificates
themselves are the files. A unit may hold several valid certificates at once (key
rollover): the newest valid one signs; older ones stay valid until revoked or expired.

The CRL file and the reading of typed serials are in :mod:`gateway.pki.revocation`.
Every change (issue, revocation, a re-signed CRL) replaces ``index.json`` last, after
the files it names. Every hub process sharing the home watches that file
(:meth:`KeyStore.generation`) and re-reads what it cached when it moves, so a revocation
is in force in every process from its next verification.
"""

from __future__ import annotations

import builtins
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gateway.config import Config
from gateway.envelope.model import UNIT_CODE_RE, check_unit_code
from gateway.errors import GatewayError, NoSigningKeyError, PkiError
from gateway.pki import ca, revocation
from gateway.pki.keyfiles import (
    PrivateKey,
    ensure_private_dir,
    generate_key,
    load_passphrase,
    parse_private_key,
    read_private_key,
    write_file_atomic,
    write_private_key,
)
from gateway.pki.trust import TrustStore

__all__ = ["CertInfo", "CertStatus", "KeyStore"]

CertStatus = Literal["valid", "expired", "revoked"]


@dataclass(frozen=True, slots=True)
class CertInfo:
    """One unit certificate as ``keys list`` shows it."""

    unit: str
    serial: int
    not_before: datetime
    not_after: datetime
    status: CertStatus
    has_local_key: bool

    @property
    def serial_hex(self) -> str:
        """The serial as the hex string used in file names."""
        return f"{self.serial:x}"


@dataclass(frozen=True, slots=True)
class _Entry:
    unit: str
    cert: x509.Certificate
    key_path: Path | None
    seq: int

    @property
    def serial(self) -> int:
        return self.cert.serial_number

    def sort_key(self) -> tuple[datetime, int]:
        return (self.cert.not_valid_before_utc, self.seq)


class KeyStore:
    """CA, unit certificates, revocation and trust, all under ``config.key_dir``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = config.key_dir
        self._index_path = str(self.root / "index.json")

    # -- paths and small helpers ------------------------------------------------------

    @property
    def ca_cert_path(self) -> Path:
        """``HOME/keys/ca.pem``."""
        return self.root / "ca.pem"

    @property
    def ca_key_path(self) -> Path:
        """``HOME/keys/ca.key`` (encrypted)."""
        return self.root / "ca.key"

    @property
    def crl_path(self) -> Path:
        """``HOME/keys/crl.pem``."""
        return self.root / "crl.pem"

    def has_ca(self) -> bool:
        """Whether a hub CA exists."""
        return self.ca_cert_path.exists()

    def _passphrase(self) -> bytes:
        return load_passphrase(self.config)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers (several hub processes may share one home)."""
        ensure_private_dir(self.root)
        with (self.root / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _read_index(self) -> dict[str, Any]:
        path = self.root / "index.json"
        if not path.exists():
            return {"next_seq": 0, "order": {}, "revoked": {}, "crl_number": 0}
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PkiError(f"cannot read {path}: {exc}", code="pki.error") from exc
        return data

    def _write_index(self, index: dict[str, Any]) -> None:
        data = json.dumps(index, indent=2, sort_keys=True).encode("utf-8")
        write_file_atomic(self.root / "index.json", data, mode=0o600)

    def generation(self) -> tuple[int, int, int]:
        """What changes whenever a certificate is issued or revoked or the CRL re-signed:
        the inode, time and size of ``index.json``, which every change replaces last.

        One ``stat`` call, cheap enough for every verification; a process that sees it
        move re-reads its trust store and drops its cached signing keys.
        """
        try:
            st = os.stat(self._index_path)  # noqa: PTH116 (per verification: no Path objects)
        except FileNotFoundError:
            return (0, 0, 0)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    # -- the CA ----------------------------------------------------------------------

    def ca_certificate(self) -> x509.Certificate:
        """The hub CA certificate; ``pki.no_ca`` if there is none."""
        if not self.has_ca():
            raise PkiError(
                "the hub CA has not been created (lienthong keys init-ca)", code="pki.no_ca"
            )
        return ca.load_certificate(self.ca_cert_path.read_bytes(), where="ca.pem")

    def _ca_key(self) -> PrivateKey:
        self.ca_certificate()
        return read_private_key(self.ca_key_path, self._passphrase(), own=True)

    def init_ca(self, *, key_type: str = "rsa3072", days: int = 3650) -> x509.Certificate:
        """Create a new self-signed hub CA and an empty CRL; ``pki.ca_exists`` if one exists."""
        passphrase = self._passphrase()
        key = generate_key(key_type)
        cert = ca.build_ca_certificate(key, self.config.hub.unit_code, days=days)
        with self._locked():
            self._store_ca(cert, key, passphrase)
        return cert

    def import_ca(
        self, cert_pem: bytes, key_pem: bytes, key_passphrase: bytes | None = None
    ) -> x509.Certificate:
        """Adopt an existing CA (certificate + key); the key is re-encrypted with ours."""
        passphrase = self._passphrase()
        cert = ca.load_certificate(cert_pem, where="CA certificate")
        key = parse_private_key(key_pem, key_passphrase, where="CA key")
        ca.check_ca_pair(cert, key)
        with self._locked():
            self._store_ca(cert, key, passphrase)
        return cert

    def _store_ca(self, cert: x509.Certificate, key: PrivateKey, passphrase: bytes) -> None:
        if self.has_ca():
            raise PkiError(f"a hub CA already exists in {self.root}", code="pki.ca_exists")
        write_private_key(self.ca_key_path, key, passphrase)
        write_file_atomic(self.ca_cert_path, cert.public_bytes(serialization.Encoding.PEM))
        self._write_crl(key, cert, self._read_index())

    # -- unit certificates -----------------------------------------------------------

    def issue(
        self,
        unit: str,
        *,
        csr_pem: bytes | None = None,
        key_type: str = "rsa2048",
        days: int = 730,
    ) -> x509.Certificate:
        """Issue a certificate to ``unit``: for a CSR's key, or for a new local key."""
        check_unit_code(unit)
        passphrase = self._passphrase()
        ca_cert = self.ca_certificate()
        ca_key = read_private_key(self.ca_key_path, passphrase, own=True)
        key: PrivateKey | None = None
        if csr_pem is not None:
            public_key = ca.load_csr_public_key(csr_pem, unit)
        else:
            key = generate_key(key_type)
            public_key = key.public_key()
        cert = ca.issue_certificate(ca_key, ca_cert, public_key, unit, days=days)
        with self._locked():
            self._store_unit_cert(unit, cert, key, passphrase)
        return cert

    def _store_unit_cert(
        self, unit: str, cert: x509.Certificate, key: PrivateKey | None, passphrase: bytes
    ) -> None:
        ensure_private_dir(self.root / "units")
        unit_dir = ensure_private_dir(self.root / "units" / unit)
        stem = f"{cert.serial_number:x}"
        if key is not None:
            write_private_key(unit_dir / f"{stem}.key", key, passphrase)
        write_file_atomic(unit_dir / f"{stem}.pem", cert.public_bytes(serialization.Encoding.PEM))
        index = self._read_index()
        index["order"][stem] = index["next_seq"]
        index["next_seq"] += 1
        self._write_index(index)

    def _entries(self, unit: str | None = None) -> builtins.list[_Entry]:
        """Certificates on file (one unit's, or all), by unit then age."""
        order: dict[str, int] = self._read_index()["order"]
        units = self.root / "units"
        pattern = f"{check_unit_code(unit)}/*.pem" if unit is not None else "*/*.pem"
        entries = []
        for pem in sorted(units.glob(pattern)) if units.exists() else []:
            cert = ca.load_certificate(pem.read_bytes(), where=pem.name)
            key_path = pem.with_suffix(".key")
            seq = order.get(pem.stem, -1)
            entries.append(
                _Entry(pem.parent.name, cert, key_path if key_path.exists() else None, seq)
            )
        return sorted(entries, key=lambda e: (e.unit, e.sort_key()))

    def _revoked(self) -> dict[str, str]:
        revoked: dict[str, str] = self._read_index()["revoked"]
        return revoked

    def _status(self, entry: _Entry, revoked: dict[str, str], now: datetime) -> CertStatus:
        if f"{entry.serial:x}" in revoked:
            return "revoked"
        if not entry.cert.not_valid_before_utc <= now <= entry.cert.not_valid_after_utc:
            return "expired"
        return "valid"

    def _valid(self, unit: str) -> builtins.list[_Entry]:
        """The unit's valid entries, newest first."""
        now = datetime.now(UTC)
        revoked = self._revoked()
        entries = self._entries(unit)
        valid = [e for e in entries if self._status(e, revoked, now) == "valid"]
        return sorted(valid, key=_Entry.sort_key, reverse=True)

    def unit_revoked(self, unit: str) -> bool:
        """True if ``unit`` holds no valid certificate and its newest one was revoked: it
        is refused a new key (``pki.unit_revoked``) until ``lienthong keys issue UNIT``."""
        if self._valid(unit):
            return False
        entries = self._entries(unit)
        if not entries:
            return False
        newest = max(entries, key=_Entry.sort_key)
        return f"{newest.serial:x}" in self._revoked()

    def certificates(self, unit: str) -> builtins.list[x509.Certificate]:
        """Every certificate issued to ``unit`` (any status), oldest first."""
        return [e.cert for e in self._entries(unit)]

    def signer(self, unit: str) -> tuple[PrivateKey, x509.Certificate]:
        """The newest valid certificate of ``unit`` that has a local key, with that key."""
        for entry in self._valid(unit):
            if entry.key_path is not None:
                return read_private_key(entry.key_path, self._passphrase(), own=True), entry.cert
        raise NoSigningKeyError(f"unit {unit} has no valid signing key on this hub")

    def export(self, name: str) -> str:
        """PEM of the CA (``"ca"``) or of a unit's newest valid certificate."""
        if name.lower() == "ca":
            cert = self.ca_certificate()
        else:
            valid = self._valid(name)
            if not valid:
                raise PkiError(
                    f"unit {name} has no valid certificate", code="pki.unknown_certificate"
                )
            cert = valid[0].cert
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def list(self) -> builtins.list[CertInfo]:
        """Every unit certificate with its status, by unit then age."""
        now = datetime.now(UTC)
        revoked = self._revoked()
        return [
            CertInfo(
                unit=e.unit,
                serial=e.serial,
                not_before=e.cert.not_valid_before_utc,
                not_after=e.cert.not_valid_after_utc,
                status=self._status(e, revoked, now),
                has_local_key=e.key_path is not None,
            )
            for e in self._entries()
        ]

    # -- revocation and trust --------------------------------------------------------

    def revoke(self, unit_or_serial: str) -> builtins.list[int]:
        """Revoke every certificate of a unit, or one serial (decimal, hex or ``0x`` hex).

        Returns the serials newly revoked (already revoked ones are not repeated) and
        re-signs the CRL.
        """
        passphrase = self._passphrase()
        ca_cert = self.ca_certificate()
        ca_key = read_private_key(self.ca_key_path, passphrase, own=True)
        with self._locked():
            targets = self._resolve(unit_or_serial.strip())
            index = self._read_index()
            now = datetime.now(UTC).isoformat()
            newly = [s for s in targets if f"{s:x}" not in index["revoked"]]
            for serial in newly:
                index["revoked"][f"{serial:x}"] = now
            self._write_crl(ca_key, ca_cert, index)
        return newly

    def _resolve(self, text: str) -> builtins.list[int]:
        if UNIT_CODE_RE.fullmatch(text) and (self.root / "units" / text).is_dir():
            by_unit = [e.serial for e in self._entries(text)]
            if by_unit:
                return by_unit
        known = {e.serial for e in self._entries()}
        for candidate in revocation.serial_candidates(text):
            if candidate in known:
                return [candidate]
        raise PkiError(
            f"no certificate for unit or serial {text!r}", code="pki.unknown_certificate"
        )

    def _write_crl(
        self, ca_key: PrivateKey, ca_cert: x509.Certificate, index: dict[str, Any]
    ) -> None:
        """Sign a fresh CRL from the index (bumping its number) and save both."""
        revocation.write_crl(self.crl_path, ca_key, ca_cert, index)
        self._write_index(index)  # last: a process that sees it move finds the new CRL

    def crl(self) -> x509.CertificateRevocationList:
        """The current CRL, re-signed first if it is missing or past half its lifetime."""
        ca_cert = self.ca_certificate()
        current = revocation.load_crl(self.crl_path)
        if current is None or revocation.near_expiry(current):
            try:
                with self._locked():
                    self._write_crl(self._ca_key(), ca_cert, self._read_index())
            except GatewayError:
                if current is None:
                    raise
                # No passphrase here: keep the current CRL; once stale it fails closed.
                return current
            current = revocation.load_crl(self.crl_path)
        if current is None:
            raise PkiError("the CRL could not be written", code="pki.error")
        return current

    def trust_store(self) -> TrustStore:
        """What verifiers trust: the hub CA and its (fresh) CRL."""
        return TrustStore.of([self.ca_certificate()], [self.crl()])
