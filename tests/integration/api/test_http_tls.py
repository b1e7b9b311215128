"""Logging in with a TLS client certificate issued by the hub CA (no bearer token)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.api.app import build_app
from gateway.api.tls import server_ssl_context
from gateway.pki.keystore import KeyStore
from tests.support.api_world import A, World


def _self_signed(tmp: Path, name: str) -> tuple[Path, Path]:
    """A throwaway self-signed certificate and unencrypted key (tmp dir, never the repo)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    return _write(tmp, name, cert, key)


def _write(tmp: Path, name: str, cert: x509.Certificate, key: object) -> tuple[Path, Path]:
    cert_path, key_path = tmp / f"{name}.crt", tmp / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@pytest.fixture
async def tls_url(world: World, tmp_path: Path) -> AsyncIterator[str]:
    """The same hub served over TLS on an ephemeral port, client certificates optional."""
    cert, key = _self_signed(tmp_path, "server")
    context = server_ssl_context(cert, key, world.hub.keys.ca_cert_path)
    runner = web.AppRunner(build_app(world.hub))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _client_context(cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test server's certificate is self-signed
    if cert and key:
        context.load_cert_chain(cert, key)
    return context


async def _get(url: str, context: ssl.SSLContext) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/api/v1/mailbox", ssl=context) as resp,
    ):
        return resp.status, await resp.json()


async def test_hub_ca_client_certificate_logs_in(
    world: World, tls_url: str, tmp_path: Path
) -> None:
    """A certificate the hub CA issued to A authenticates as A: A's mailbox, no token."""
    await world.send()  # A's certificate exists once A has sealed something
    key, cert = world.hub.keys.signer(A)
    cert_path, key_path = _write(tmp_path, "unit-a", cert, key)
    status, body = await _get(tls_url, _client_context(cert_path, key_path))
    assert status == 200, body
    assert body == {"items": []}


async def test_tls_without_credentials_is_401(world: World, tls_url: str) -> None:
    """Over TLS with neither certificate nor token the answer is 401 auth.required."""
    status, body = await _get(tls_url, _client_context())
    assert status == 401
    assert body["error"]["code"] == "auth.required"


async def test_foreign_certificate_is_refused(world: World, tls_url: str, tmp_path: Path) -> None:
    """A certificate not issued by the hub CA never gets in (the handshake refuses it)."""
    cert, key = _self_signed(tmp_path, A)
    with pytest.raises(aiohttp.ClientError):
        await _get(tls_url, _client_context(cert, key))


async def test_revoked_client_certificate_is_refused_at_once(
    world: World, tls_url: str, tmp_path: Path
) -> None:
    """Revoked through another key store (as the CLI or another process would), A's client
    certificate is refused on the very next request: 401 auth.invalid_certificate."""
    await world.send()
    key, cert = world.hub.keys.signer(A)
    context = _client_context(*_write(tmp_path, "unit-a", cert, key))
    assert (await _get(tls_url, context))[0] == 200
    KeyStore(world.hub.config).revoke(A)
    status, body = await _get(tls_url, context)
    assert (status, body["error"]["code"]) == (401, "auth.invalid_certificate")
