"""Revocation by OCSP (RFC 6960): a certificate naming an OCSP responder in its Authority
Information Access is checked by asking that responder over HTTP; good, revoked and a
responder that is down each give their own verdict, through the hub's PDF check."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization

from gateway.pdfsig.check import PdfChecker
from gateway.pdfsig.sandbox import BoundedChecker
from tests.support.hubproc import free_port
from tests.support.loopback import served_app
from tests.support.ocsp import RunningOcsp, ocsp_responder
from tests.support.pdfsign import PdfSigner, minimal_pdf, pdf_ca, sign_pdf

CA = pdf_ca("ocsp-ca", slot=50)


def _anchors() -> list[ax509.Certificate]:
    return [ax509.Certificate.load(CA.cert.public_bytes(serialization.Encoding.DER))]


@pytest.fixture
async def responder() -> AsyncIterator[RunningOcsp]:
    """The CA's OCSP responder, running on loopback."""
    async with ocsp_responder(CA) as running:
        yield running


def _signed(signer: PdfSigner) -> bytes:
    return sign_pdf(minimal_pdf(), signer, CA)


async def _verdict(pdf: bytes) -> dict[str, object]:
    checker = PdfChecker(_anchors, fetch_revocation=True)
    verdict = await asyncio.to_thread(checker, pdf, "qd.pdf")
    sig = verdict.signatures[0]
    return {
        "status": verdict.status,
        "revocation": sig.revocation,
        "source": sig.revocation_source,
        "ok": sig.ok,
    }


async def test_ocsp_good_and_revoked(responder: RunningOcsp) -> None:
    """The responder's "good" makes the signature good by OCSP; its "revoked" makes the
    PDF invalid, and the verdict names OCSP as the source of both."""
    good = CA.issue("Lê Văn C", "UBND xã Test", slot=51, ocsp_url=responder.url)
    bad = CA.issue("Phạm Thị D", "UBND xã Test", slot=52, ocsp_url=responder.url)
    responder.revoked.add(bad.cert.serial_number)
    good_pdf = await asyncio.to_thread(_signed, good)
    bad_pdf = await asyncio.to_thread(_signed, bad)
    assert await _verdict(good_pdf) == {
        "status": "incomplete",
        "revocation": "good",
        "source": "OCSP",
        "ok": True,
    }
    assert "good" in responder.answered
    assert await _verdict(bad_pdf) == {
        "status": "invalid",
        "revocation": "revoked",
        "source": "OCSP",
        "ok": False,
    }
    assert "revoked" in responder.answered


async def test_ocsp_responder_down_says_not_checked(responder: RunningOcsp) -> None:
    """A responder answering 503, or nobody at its address: the signature stands and
    revocation is "not checked", with no source."""
    signer = CA.issue("Lê Văn C", "UBND xã Test", slot=51, ocsp_url=responder.url)
    pdf = await asyncio.to_thread(_signed, signer)
    responder.down = True
    down = await _verdict(pdf)
    assert down == {
        "status": "incomplete",
        "revocation": "not checked: CRL/OCSP not reachable",
        "source": "",
        "ok": True,
    }
    assert responder.answered == []
    gone = CA.issue(
        "Lê Văn E", "UBND xã Test", slot=53, ocsp_url=f"http://127.0.0.1:{free_port()}/"
    )
    nobody = await _verdict(await asyncio.to_thread(_signed, gone))
    assert nobody["revocation"] == "not checked: CRL/OCSP not reachable"
    assert nobody["ok"] is True


async def test_crl_answer_names_crl_as_source() -> None:
    """Revocation from a CRL says so (the source is not always OCSP)."""
    from aiohttp import web

    crl_body: dict[str, bytes] = {}

    async def crl(request: web.Request) -> web.Response:
        return web.Response(body=crl_body["crl"], content_type="application/pkix-crl")

    app = web.Application()
    app.router.add_get("/ca.crl", crl)
    async with served_app(app) as url:
        signer = CA.issue("Lê Văn C", "UBND xã Test", slot=51, crl_url=f"{url}ca.crl")
        crl_body["crl"] = CA.crl([])
        verdict = await _verdict(await asyncio.to_thread(_signed, signer))
    assert (verdict["revocation"], verdict["source"]) == ("good", "CRL")


async def test_ocsp_through_the_hubs_bounded_check(responder: RunningOcsp) -> None:
    """The hub's check runs in a worker process; it asks the responder from there too."""
    revoked = CA.issue("Phạm Thị D", "UBND xã Test", slot=52, ocsp_url=responder.url)
    responder.revoked.add(revoked.cert.serial_number)
    pdf = await asyncio.to_thread(_signed, revoked)
    checker = BoundedChecker(_anchors, fetch_revocation=True, cpu_seconds=30.0, workers=1)
    verdict = await asyncio.to_thread(checker, pdf, "qd.pdf")
    sig = verdict.signatures[0]
    assert (verdict.status, sig.revocation, sig.revocation_source) == ("invalid", "revoked", "OCSP")
    assert "revoked" in responder.answered
