"""A real OCSP responder (RFC 6960) over HTTP, for tests.

``POST /`` with ``Content-Type: application/ocsp-request`` and a DER ``OCSPRequest``
answers a DER ``OCSPResponse`` (``application/ocsp-response``) built and signed by
``cryptography.x509.ocsp`` with the issuing CA's own key: ``good`` for every serial but
those in ``revoked``, the request's nonce echoed. ``GET /<base64 request>`` (RFC 6960
appendix A.1) answers the same. ``down = True`` makes it answer 503.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from tests.support.loopback import served_app
from tests.support.pdfsign import PdfCA

__all__ = ["RunningOcsp", "ocsp_responder"]


@dataclass
class RunningOcsp:
    """The running responder: its URL, the revoked serials, what it answered."""

    url: str
    revoked: set[int] = field(default_factory=set)
    down: bool = False
    answered: list[str] = field(default_factory=list)


def _answer(ca: PdfCA, state: RunningOcsp, der: bytes) -> bytes:
    request = ocsp.load_der_ocsp_request(der)
    now = datetime.now(UTC)
    revoked = request.serial_number in state.revoked
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=request.hash_algorithm,
        cert_status=ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD,
        this_update=now - timedelta(minutes=1),
        next_update=now + timedelta(hours=1),
        revocation_time=now - timedelta(hours=1) if revoked else None,
        revocation_reason=x509.ReasonFlags.key_compromise if revoked else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.cert)
    for ext in request.extensions:
        if isinstance(ext.value, x509.OCSPNonce):
            builder = builder.add_extension(ext.value, critical=False)
    state.answered.append("revoked" if revoked else "good")
    response = builder.sign(ca.key, hashes.SHA256())
    return response.public_bytes(Encoding.DER)


@asynccontextmanager
async def ocsp_responder(ca: PdfCA) -> AsyncIterator[RunningOcsp]:
    """Serve ``ca``'s OCSP responder on a free loopback port."""
    state = RunningOcsp(url="")

    def reply(der: bytes) -> web.Response:
        if state.down:
            return web.Response(status=503, text="down")
        body = _answer(ca, state, der)
        return web.Response(body=body, content_type="application/ocsp-response")

    async def post(request: web.Request) -> web.Response:
        if request.content_type != "application/ocsp-request":
            return web.Response(status=415)
        return reply(await request.read())

    async def get(request: web.Request) -> web.Response:
        encoded = urllib.parse.unquote(request.match_info["req"])
        return reply(base64.b64decode(encoded))

    app = web.Application()
    app.router.add_post("/", post)
    app.router.add_get("/{req:.+}", get)
    async with served_app(app) as url:
        state.url = url
        yield state
