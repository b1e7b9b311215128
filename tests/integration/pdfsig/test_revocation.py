"""Revocation of PDF signing certificates: a CRL served over HTTP is consulted when
fetching is on; a revoked signer is invalid; an unreachable CRL or fetching off is said
plainly as "not checked"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization

from gateway.pdfsig.check import PdfChecker
from tests.support.hubproc import free_port
from tests.support.pdfsign import PdfSigner, minimal_pdf, pdf_ca, sign_pdf

CA = pdf_ca("revocation-ca", slot=40)


def _anchors() -> list[ax509.Certificate]:
    return [ax509.Certificate.load(CA.cert.public_bytes(serialization.Encoding.DER))]


@pytest.fixture
async def crl_server() -> AsyncIterator[tuple[str, dict[str, bytes]]]:
    """A CRL server: its URL, and the dict whose ``"crl"`` it serves."""
    app = web.Application()
    body: dict[str, bytes] = {}

    async def crl(request: web.Request) -> web.Response:
        return web.Response(body=body["crl"], content_type="application/pkix-crl")

    app.router.add_get("/ca.crl", crl)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/ca.crl", body
    finally:
        await runner.cleanup()


def _signed(signer: PdfSigner) -> bytes:
    return sign_pdf(minimal_pdf(), signer, CA)


async def _verdict(pdf: bytes, *, fetch: bool = True) -> dict[str, object]:
    checker = PdfChecker(_anchors, fetch_revocation=fetch)
    verdict = await asyncio.to_thread(checker, pdf, "qd.pdf")
    sig = verdict.signatures[0]
    return {"status": verdict.status, "revocation": sig.revocation, "ok": sig.ok}


async def test_good_and_revoked_by_the_crl(crl_server: tuple[str, dict[str, bytes]]) -> None:
    """A signer on the CRL is revoked (the PDF invalid); one not on it is "good"."""
    crl_url, served = crl_server
    good = CA.issue("Lê Văn C", "UBND xã Test", slot=41, crl_url=crl_url)
    bad = CA.issue("Phạm Thị D", "UBND xã Test", slot=42, crl_url=crl_url)
    served["crl"] = CA.crl([bad.cert])
    good_pdf, bad_pdf = (
        await asyncio.to_thread(_signed, good),
        await asyncio.to_thread(_signed, bad),
    )
    assert await _verdict(good_pdf) == {"status": "incomplete", "revocation": "good", "ok": True}
    assert await _verdict(bad_pdf) == {"status": "invalid", "revocation": "revoked", "ok": False}


async def test_unreachable_crl_and_fetching_off_say_not_checked() -> None:
    """No CRL answer, or fetching off: the signature stands, revocation "not checked"."""
    dead = f"http://127.0.0.1:{free_port()}/ca.crl"
    signer = CA.issue("Lê Văn C", "UBND xã Test", slot=41, crl_url=dead)
    pdf = await asyncio.to_thread(_signed, signer)
    unreachable = await _verdict(pdf)
    assert unreachable["revocation"] == "not checked: CRL/OCSP not reachable"
    assert unreachable["ok"] is True
    off = await _verdict(pdf, fetch=False)
    assert str(off["revocation"]).startswith("not checked: fetching CRL/OCSP is off")
    plain = await asyncio.to_thread(_signed, CA.issue("Lê Văn E", "UBND xã Test", slot=43))
    none = await _verdict(plain)
    assert none["revocation"] == "not checked: the certificate names no CRL or OCSP responder"
