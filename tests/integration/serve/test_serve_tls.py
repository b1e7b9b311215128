"""``[hub] tls_cert``/``tls_key``: serve listens over TLS and units log in with certificates."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.cli.serve import serve, tls_context
from gateway.config import Config, HubConfig
from gateway.directory import Directory
from gateway.errors import ConfigError
from gateway.pki.keystore import KeyStore
from gateway.store import Database
from tests.support.served_hub import C, P
from tests.support.tls import self_signed


def _unit_client_cert(config: Config, tmp: Path) -> tuple[Path, Path]:
    """A key made here and a certificate for C issued by the hub CA from its CSR (tmp dir)."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, C)]))
        .sign(key, hashes.SHA256())
    )
    cert = KeyStore(config).issue(C, csr_pem=csr.public_bytes(serialization.Encoding.PEM))
    cert_path, key_path = tmp / "c.crt", tmp / "c.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


async def _add_units(config: Config) -> None:
    db = Database(config.database_url)
    try:
        await db.upgrade()
        await Directory(db).add(P, "Tỉnh")
        await Directory(db).add(C, "Sở C", P)
    finally:
        await db.dispose()


async def test_serve_over_tls_with_a_client_certificate(tmp_home: Path, tmp_path: Path) -> None:
    """With tls_cert/tls_key the hub answers HTTPS and a hub-CA certificate authenticates C."""
    server_cert, server_key = self_signed(tmp_path, "server")
    hub = HubConfig(listen="127.0.0.1:0", tls_cert=str(server_cert), tls_key=str(server_key))
    config = Config(home=tmp_home, hub=hub)
    await _add_units(config)
    stop, ready = asyncio.Event(), asyncio.Event()
    address: list[str] = []
    task = asyncio.create_task(
        serve(config, stop=stop, on_ready=lambda a: (address.append(a), ready.set()))
    )
    try:
        await asyncio.wait_for(ready.wait(), 30)
        client_cert, client_key = _unit_client_cert(config, tmp_path)
        context = ssl.create_default_context(cafile=str(server_cert))
        context.check_hostname = False
        context.load_cert_chain(client_cert, client_key)
        async with aiohttp.ClientSession() as s:
            async with s.get(f"https://{address[0]}/api/v1/mailbox", ssl=context) as resp:
                assert resp.status == 200, await resp.text()
            with pytest.raises(aiohttp.ClientError):  # plain HTTP is not served on a TLS port
                await s.get(f"http://{address[0]}/healthz")
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def test_tls_half_configured_is_refused(tmp_path: Path) -> None:
    """A certificate without its key (or the reverse) is config.invalid."""
    config = Config(home=tmp_path, hub=HubConfig(tls_cert="server.crt"))
    with pytest.raises(ConfigError) as caught:
        tls_context(config, tmp_path / "ca.pem")
    assert caught.value.code == "config.invalid"
