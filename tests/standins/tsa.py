"""A real RFC 3161 Time-Stamp Authority over HTTP, for tests.

``POST /`` with ``Content-Type: application/timestamp-query`` and a DER ``TimeStampReq``
answers a DER ``TimeStampResp`` (``application/timestamp-reply``). The token is built and
signed by pyHanko's TSA responder with a TSA certificate (extended key usage
timeStamping) issued by its own CA. ``down = True`` makes it answer 503 (an outage);
``delay`` seconds are waited before each answer; ``imprints`` lists the SHA-256 digest
(hex) of every request it stamped, in order.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from asn1crypto import keys as akeys
from asn1crypto import tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.loopback import served_app
from tests.support.pdfsign import PdfCA, _key, pdf_ca

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

__all__ = ["RunningTsa", "tsa_server"]


def _tsa_cert(ca: PdfCA) -> tuple[x509.Certificate, object]:
    key = _key(30)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca.key, hashes.SHA256())
    )
    return cert, key


def _der(cert: x509.Certificate) -> ax509.Certificate:
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass
class RunningTsa:
    """The running TSA: its URL, its CA, how many tokens it gave, and an outage switch."""

    url: str
    ca: PdfCA
    issued: int = 0
    down: bool = False
    requests: list[str] = field(default_factory=list)
    imprints: list[str] = field(default_factory=list)
    delay: float = 0.0


@asynccontextmanager
async def tsa_server() -> AsyncIterator[RunningTsa]:
    """Serve a TSA on a free loopback port."""
    ca = pdf_ca("test-tsa-ca", slot=31)
    cert, key = _tsa_cert(ca)
    pkcs8 = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    responder = DummyTimeStamper(
        tsa_cert=_der(cert),
        tsa_key=akeys.PrivateKeyInfo.load(pkcs8),
        certs_to_embed=SimpleCertificateStore.from_certs([_der(ca.cert)]),
    )
    state = RunningTsa(url="", ca=ca)

    async def stamp(request: web.Request) -> web.Response:
        state.requests.append(request.content_type)
        if state.down:
            return web.Response(status=503, text="down")
        if request.content_type != "application/timestamp-query":
            return web.Response(status=415)
        req = tsp.TimeStampReq.load(await request.read())
        if state.delay:
            await asyncio.sleep(state.delay)
        resp = await responder.async_request_tsa_response(req)
        state.imprints.append(req["message_imprint"]["hashed_message"].native.hex())
        state.issued += 1
        return web.Response(body=resp.dump(), content_type="application/timestamp-reply")

    app = web.Application()
    app.router.add_post("/", stamp)
    async with served_app(app) as url:
        state.url = url
        yield state
