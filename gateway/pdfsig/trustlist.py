"""The hub's PDF trust list: a folder of CA certificates (PEM or DER, one or more a file).

Re-read when the folder changes (a file added, removed or replaced), so an operator adds a
licensed CA's root without restarting the hub.
"""

from __future__ import annotations

import threading
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as ax509

from gateway.errors import ConfigError

__all__ = ["TrustList"]

_SUFFIXES = (".pem", ".crt", ".cer", ".der")


class TrustList:
    """The CA certificates of ``folder`` (none when it is empty or not configured)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._stamp: object = None
        self._anchors: list[ax509.Certificate] = []

    def anchors(self) -> list[ax509.Certificate]:
        """The trust anchors now (re-read if the folder changed)."""
        stamp = self._fingerprint()
        with self._lock:
            if stamp != self._stamp:
                self._anchors = self._load()
                self._stamp = stamp
            return list(self._anchors)

    def _files(self) -> list[Path]:
        if self.folder is None or not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.suffix.lower() in _SUFFIXES)

    def _fingerprint(self) -> object:
        return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in self._files())

    def _load(self) -> list[ax509.Certificate]:
        certs: list[ax509.Certificate] = []
        for path in self._files():
            certs.extend(_read(path))
        return certs


def _read(path: Path) -> list[ax509.Certificate]:
    data = path.read_bytes()
    try:
        if pem.detect(data):
            return [ax509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        return [ax509.Certificate.load(data)]
    except ValueError as exc:
        raise ConfigError(f"{path}: not a certificate ({exc})", code="config.invalid") from exc
