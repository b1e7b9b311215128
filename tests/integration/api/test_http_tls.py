"""Logging in with a TLS client certificate issued by the hub CA (no bearer token)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from gateway.pki.keystore import KeyStore
from tests.support.api_world import A, World
from tests.support.tls import client_context, get_mailbox, self_signed, tls_url, write_pem

__all__ = ["tls_url"]  # the TLS listener fixture (tests/support/tls.py)


async def test_hub_ca_client_certificate_logs_in(
    world: World, tls_url: str, tmp_path: Path
) -> None:
    """A certificate the hub CA issued to A authenticates as A: A's mailbox, no token."""
    await world.send()  # A's certificate exists once A has sealed something
    key, cert = world.hub.keys.signer(A)
    cert_path, key_path = write_pem(tmp_path, "unit-a", cert, key)
    status, body = await get_mailbox(tls_url, client_context(cert_path, key_path))
    assert status == 200, body
    assert body == {"items": []}


async def test_tls_without_credentials_is_401(world: World, tls_url: str) -> None:
    """Over TLS with neither certificate nor token the answer is 401 auth.required."""
    status, body = await get_mailbox(tls_url, client_context())
    assert status == 401
    assert body["error"]["code"] == "auth.required"


async def test_foreign_certificate_is_refused(world: World, tls_url: str, tmp_path: Path) -> None:
    """A certificate not issued by the hub CA never gets in (the handshake refuses it)."""
    cert, key = self_signed(tmp_path, A)
    with pytest.raises(aiohttp.ClientError):
        await get_mailbox(tls_url, client_context(cert, key))


async def test_revoked_client_certificate_is_refused_at_once(
    world: World, tls_url: str, tmp_path: Path
) -> None:
    """Revoked through another key store (as the CLI or another process would), A's client
    certificate is refused on the very next request: 401 auth.invalid_certificate."""
    await world.send()
    key, cert = world.hub.keys.signer(A)
    context = client_context(*write_pem(tmp_path, "unit-a", cert, key))
    assert (await get_mailbox(tls_url, context))[0] == 200
    KeyStore(world.hub.config).revoke(A)
    status, body = await get_mailbox(tls_url, context)
    assert (status, body["error"]["code"]) == (401, "auth.invalid_certificate")
