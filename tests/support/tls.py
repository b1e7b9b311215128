"""Serving a test hub over TLS and calling it with a client certificate: a throwaway
self-signed certificate, a PEM pair on disk, the ``tls_url`` fixture, a client context."""

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
from tests.support.api_world import World

__all__ = ["client_context", "get_mailbox", "self_signed", "tls_url", "write_pem"]


def self_signed(tmp: Path, name: str) -> tuple[Path, Path]:
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
    return write_pem(tmp, name, cert, key)


def write_pem(tmp: Path, name: str, cert: x509.Certificate, key: object) -> tuple[Path, Path]:
    """``cert`` and ``key`` as PEM files ``name.crt`` and ``name.key`` (0600) under ``tmp``."""
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
    cert, key = self_signed(tmp_path, "server")
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


def client_context(cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """A client context trusting any server (the test server is self-signed), with a
    client certificate when given."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test server's certificate is self-signed
    if cert and key:
        context.load_cert_chain(cert, key)
    return context


async def get_mailbox(url: str, context: ssl.SSLContext) -> tuple[int, dict]:
    """``GET /api/v1/mailbox`` over TLS: the status and the JSON body."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/api/v1/mailbox", ssl=context) as resp,
    ):
        return resp.status, await resp.json()
