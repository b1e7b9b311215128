"""Signing identities the hub holds: units that do not sign themselves, and the hub.

Reading a key means decrypting it (PBKDF2), so signers are cached per process for a
short time, and dropped at once when the key store changes (a key issued or revoked by
any process: :meth:`KeyStore.generation`). A unit with no key of its own gets one issued
on the fly when the hub has to seal a document for it, unless its certificates were
revoked: then it gets none (``pki.unit_revoked``, 403) until an administrator issues it
one (``lienthong keys issue UNIT``). A receipt for a unit with no key is signed by the hub
"on its behalf" (the receipt's issuer still names the unit, the signature names the hub).
"""

from __future__ import annotations

import asyncio
import time

import structlog
from cryptography import x509

from gateway.errors import ForbiddenError, NoSigningKeyError
from gateway.pki.keyfiles import PrivateKey
from gateway.pki.keystore import KeyStore

__all__ = ["Signer", "Signers"]

log = structlog.get_logger("gateway.pipeline.signers")

Signer = tuple[PrivateKey, x509.Certificate]


class Signers:
    """Keys from the KeyStore, cached; ``for_document`` issues, ``for_receipt`` delegates."""

    def __init__(self, keys: KeyStore, hub_unit: str, *, key_type: str, ttl: float = 300.0) -> None:
        self.keys = keys
        self.hub_unit = hub_unit
        self.key_type = key_type
        self.ttl = ttl
        self.ttl_missing = min(ttl, 30.0)
        self._cache: dict[str, tuple[float, Signer | None]] = {}
        self._revoked: set[str] = set()
        self._generation: object = None
        self._lock = asyncio.Lock()

    def _check_generation(self) -> None:
        """Forget every cached key if the key store changed since they were read."""
        generation = self.keys.generation()
        if generation != self._generation:
            self._cache.clear()
            self._revoked.clear()
            self._generation = generation

    async def own(self, unit: str) -> Signer | None:
        """The unit's own signing key and certificate held by this hub, or None."""
        self._check_generation()
        cached = self._cache.get(unit)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        signer = await asyncio.to_thread(self._load, unit)
        ttl = self.ttl if signer is not None else self.ttl_missing
        self._cache[unit] = (time.monotonic() + ttl, signer)
        return signer

    def _load(self, unit: str) -> Signer | None:
        try:
            return self.keys.signer(unit)
        except NoSigningKeyError:
            return None

    async def for_document(self, unit: str) -> Signer:
        """The unit's key; one is issued now if the hub holds none for it, unless the
        unit's certificates were revoked (``pki.unit_revoked``)."""
        signer = await self.own(unit)
        if signer is not None:
            return signer
        async with self._lock:
            self._cache.pop(unit, None)
            signer = await self.own(unit)
            if signer is None:
                await self._refuse_revoked(unit)
                log.info("keys.issued_on_the_fly", unit=unit)
                await asyncio.to_thread(self.keys.issue, unit, key_type=self.key_type)
                self._cache.pop(unit, None)
                signer = await self.own(unit)
        if signer is None:
            raise NoSigningKeyError(f"no signing key for {unit}")
        return signer

    async def _refuse_revoked(self, unit: str) -> None:
        """``pki.unit_revoked`` if the unit's newest certificate was revoked (no new key
        until an administrator issues one); remembered until the key store changes."""
        if unit not in self._revoked:
            if not await asyncio.to_thread(self.keys.unit_revoked, unit):
                return
            self._revoked.add(unit)
        log.warning("keys.unit_revoked", unit=unit)
        raise ForbiddenError(
            f"the certificates of {unit} were revoked; an administrator must issue a new one "
            "(lienthong keys issue UNIT)",
            code="pki.unit_revoked",
        )

    async def for_receipt(self, unit: str) -> Signer:
        """The unit's own key if the hub holds it, otherwise the hub's."""
        return await self.own(unit) or await self.hub()

    async def hub(self) -> Signer:
        """The hub's own signing identity (``config.hub.unit_code``)."""
        signer = await self.own(self.hub_unit)
        if signer is None:
            raise NoSigningKeyError(f"the hub {self.hub_unit} has no signing key (lienthong init)")
        return signer

    def forget(self, unit: str | None = None) -> None:
        """Drop cached signers (all, or one unit's) after keys changed."""
        if unit is None:
            self._cache.clear()
        else:
            self._cache.pop(unit, None)
