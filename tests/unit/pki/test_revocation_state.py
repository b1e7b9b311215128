"""What other processes watch: the key store's generation, and whether a unit is revoked."""

from __future__ import annotations

import asyncio

import pytest

from gateway.errors import GatewayError
from gateway.pipeline.flow import TrustCache
from gateway.pipeline.signers import Signers
from gateway.pki.keystore import KeyStore

UNIT, OTHER, HUB = "000.00.00.H01", "000.00.00.H02", "000.00.00.HUB"


def test_generation_moves_with_every_issue_and_revocation(store: KeyStore) -> None:
    """Reading changes nothing; an issue and a revocation each give a new generation."""
    start = store.generation()
    store.list()
    store.trust_store()
    assert store.generation() == start
    cert = store.issue(UNIT, key_type="ecdsa-p256")
    issued = store.generation()
    assert issued != start
    store.revoke(f"{cert.serial_number:x}")
    assert store.generation() not in (start, issued)


def test_a_unit_is_revoked_while_its_newest_certificate_is(store: KeyStore) -> None:
    """Unknown and valid units are not revoked; revoking the unit is; a new certificate
    re-enables it; revoking an older certificate during a rollover does not count."""
    assert not store.unit_revoked(UNIT)
    store.issue(UNIT, key_type="ecdsa-p256")
    assert not store.unit_revoked(UNIT)
    store.revoke(UNIT)
    assert store.unit_revoked(UNIT)
    store.issue(UNIT, key_type="ecdsa-p256")
    assert not store.unit_revoked(UNIT)

    old = store.issue(OTHER, key_type="ecdsa-p256")
    store.issue(OTHER, key_type="ecdsa-p256")
    store.revoke(f"{old.serial_number:x}")
    assert not store.unit_revoked(OTHER)


async def test_caches_follow_a_revocation_by_another_key_store(store: KeyStore) -> None:
    """A second KeyStore on the same home (another process, the CLI) revokes: the trust
    cache and the signers of the first see it on their next use, without waiting."""
    store.issue(HUB, key_type="ecdsa-p256")
    cert = store.issue(UNIT, key_type="ecdsa-p256")
    trust = TrustCache(store, ttl=3600)
    signers = Signers(store, HUB, key_type="ecdsa-p256", ttl=3600)
    assert trust().check(cert) == UNIT
    assert (await signers.for_document(UNIT))[1] == cert

    KeyStore(store.config).revoke(UNIT)
    with pytest.raises(GatewayError) as refused:
        trust().check(cert)
    assert refused.value.code == "signature.certificate_revoked"
    with pytest.raises(GatewayError) as no_key:
        await signers.for_document(UNIT)
    assert (no_key.value.code, no_key.value.http_status) == ("pki.unit_revoked", 403)
    assert [c.serial_number for c in store.certificates(UNIT)] == [cert.serial_number]

    KeyStore(store.config).issue(UNIT, key_type="ecdsa-p256")
    signer = await asyncio.wait_for(signers.for_document(UNIT), 5)
    assert signer[1].serial_number != cert.serial_number
