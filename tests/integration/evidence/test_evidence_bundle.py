"""The evidence bundle over HTTP and the CLI: export, verify offline, and any change fails.

A hub with the test PDF CA in its PDF trust list and a real RFC 3161 TSA: A sends B a PDF
signed by person and organisation, B answers 03; the bundle then carries the envelope,
the file, the receipt, the verdict, the audit entries and their timestamps.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import io
import json
import os
import subprocess
import uuid
import zipfile
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.config import TimestampsConfig
from gateway.envelope.model import Receipt, Status
from gateway.envelope.seal import seal_receipt
from gateway.envelope.verify import verify_receipt
from gateway.evidence import Failure, verify_bundle
from gateway.evidence.sign import sign_manifest
from gateway.pdfsig.receipt import extension_xml, verdicts_of
from tests.standins.tsa import RunningTsa, tsa_server
from tests.support.api_world import A, B, C, World, _json, hub_config
from tests.support.hubproc import LIENTHONG
from tests.support.pdfsign import minimal_pdf, pdf_ca, sign_pdf
from tests.support.proofworld import served_world

CA = pdf_ca()
#: Signed at import: pyHanko's synchronous signing runs an event loop of its own.
SIGNED = sign_pdf(
    sign_pdf(minimal_pdf(), CA.person(), CA, field="NguoiKy"), CA.organisation(), CA, field="CoQuan"
)


@pytest.fixture
async def tsa() -> AsyncIterator[RunningTsa]:
    """A TSA on a free port."""
    async with tsa_server() as running:
        yield running


@pytest.fixture
async def world(tmp_home: Path, sqlite_url: str, tsa: RunningTsa) -> AsyncIterator[World]:
    """A hub with the PDF trust list, the TSA and its CA as the TSA trust list."""
    CA.write_trust_dir(tmp_home / "pdf-trust")
    tsa.ca.write_trust_dir(tmp_home / "tsa-trust")
    ts = TimestampsConfig(tsa_url=tsa.url, pass_seconds=0.1, head_interval_seconds=0)
    async with served_world(
        replace(hub_config(tmp_home, sqlite_url, "local://"), timestamps=ts)
    ) as w:
        yield w


async def _send(world: World, subject: str = "Quyết định 12") -> str:
    """A sends B the signed PDF; the message id."""
    form = aiohttp.FormData()
    form.add_field(
        "metadata", _json({"to": [B], "subject": subject}), content_type="application/json"
    )
    form.add_field("file", SIGNED, filename="quyet-dinh.pdf", content_type="application/pdf")
    resp = await world.client.post("/api/v1/messages", data=form, headers=world.auth(A))
    assert resp.status == 202
    return str((await resp.json())["id"])


async def _journey(world: World) -> str:
    mid = await _send(world)
    url = f"/api/v1/messages/{mid}/receipts"
    assert (
        await world.client.post(url, json={"status": "03"}, headers=world.auth(B))
    ).status == 201
    for _ in range(200):
        resp = await world.client.get(f"/api/v1/messages/{mid}/status", headers=world.auth(A))
        if (await resp.json())["timestamps"] == {"stamped": 2, "waiting": 0}:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the audit head after the receipt is stamped too
    return mid


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    return subprocess.run(
        [LIENTHONG, *args], env={**base, **(env or {})}, capture_output=True, text=True, timeout=120
    )


async def _bundle(world: World, mid: str, who: str = B) -> bytes:
    resp = await world.client.get(f"/api/v1/messages/{mid}/evidence", headers=world.auth(who))
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/zip"
    return await resp.read()


def _rewrite(data: bytes, changes: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, changes.get(name, src.read(name)))
    return out.getvalue()


def _resigned(data: bytes, manifest: dict[str, Any], key: Any, name: str, body: bytes) -> bytes:
    """``data`` with member ``name`` replaced by ``body``, listed with its new digest in a
    manifest the hub's ``key`` signs again (what a dishonest hub could do)."""
    mine = copy.deepcopy(manifest)
    for f in mine["files"]:
        if f["path"] == name:
            f["sha256"] = hashlib.sha256(body).hexdigest()
    text = json.dumps(mine, ensure_ascii=False, indent=1, sort_keys=True).encode()
    return _rewrite(
        data, {name: body, "manifest.json": text, "manifest.sig": sign_manifest(key, text)}
    )


def _verify(tmp_path: Path, data: bytes) -> str:
    """The first failure's ``code: message`` of a bundle (checked in-process, offline)."""
    path = tmp_path / "b.zip"
    path.write_bytes(data)
    try:
        verify_bundle(path)
    except Failure as failure:
        return str(failure)
    return "ok"


async def test_export_over_cli_and_verify_offline(world: World, tmp_path: Path) -> None:
    """``lienthong evidence export`` saves the bundle; ``verify`` exits 0 naming what it proves."""
    mid = await _journey(world)
    out = tmp_path / "evidence.zip"
    env = {"LIENTHONG_URL": str(world.client.make_url("")).rstrip("/"),
           "LIENTHONG_TOKEN": world.tokens[A],
           "LIENTHONG_HOME": str(tmp_path / "cli-home")}  # fmt: skip
    done = await asyncio.to_thread(_cli, "evidence", "export", mid, "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    done = await asyncio.to_thread(_cli, "evidence", "verify", str(out))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert f"ok: evidence of message {mid}" in text
    assert f"sent: {A} signed message {mid} “Quyết định 12” to {B}" in text
    assert f"answered: {B} 03" in text
    assert "pdf: quyet-dinh.pdf: 2 signatures: person ✔, organisation ✔ (valid)" in text
    assert "carries the hub's PDF verdicts: quyet-dinh.pdf valid" in text
    assert text.count("timestamp: ") >= 3  # accepted entry, receipt, audit head
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        manifest = json.loads(z.read("manifest.json"))
    assert {"envelope.xml", "audit.json", "pdf-verdicts.json", "manifest.sig"} <= names
    assert any(n.startswith("receipts/") for n in names)
    assert {s["subject"] for s in manifest["timestamps"]} == {"entry", "receipt", "audit"}


async def test_only_the_parties_and_operators_get_it(world: World) -> None:
    """Sender, recipient and operator get the bundle; a stranger unit is refused."""
    mid = await _journey(world)
    for who in (A, B, "operator"):
        await _bundle(world, mid, who)
    resp = await world.client.get(f"/api/v1/messages/{mid}/evidence", headers=world.auth(C))
    assert resp.status in (403, 404)
    resp = await world.client.get("/api/v1/messages/not-an-id/evidence", headers=world.auth(A))
    assert resp.status == 404
    assert not list(world.hub.config.home.glob(".evidence-*"))  # temporary files removed


async def test_changing_any_byte_fails(world: World, tmp_path: Path) -> None:
    """A byte changed in any member, in the manifest, or anywhere in the zip: exit 1 + code."""
    data = await _bundle(world, await _journey(world))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [n for n in z.namelist() if n != "manifest.sig"]
        originals = {n: z.read(n) for n in members}
    results = []
    for name in members:
        body = bytearray(originals[name])
        body[len(body) // 2] ^= 0x01
        results.append(
            (name, await asyncio.to_thread(_verify, tmp_path, _rewrite(data, {name: bytes(body)})))
        )
    for step in (97, 1009, len(data) // 2, len(data) - 30):  # raw bytes of the zip itself
        raw = bytearray(data)
        raw[step] ^= 0x20
        results.append((f"@{step}", await asyncio.to_thread(_verify, tmp_path, bytes(raw))))
    for name, failure in results:
        assert failure.startswith("evidence."), (name, failure)
    codes = {n: f.split(":")[0] for n, f in results}
    assert codes["manifest.json"] in ("evidence.manifest_signature", "evidence.unreadable")
    assert codes["envelope.xml"] == "evidence.file_digest"


async def test_a_hub_that_re_signs_a_changed_envelope_is_still_caught(
    world: World, tmp_path: Path
) -> None:
    """Even with the manifest re-signed by the hub's key, a changed envelope fails its own
    signature (``evidence.envelope``) and a changed audit entry its hash (``evidence.audit``)."""
    data = await _bundle(world, await _journey(world))
    key, _cert = await world.hub.signers.hub()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
        envelope = z.read("envelope.xml").replace(
            "Quyết định 12".encode(), "Quyết định 13".encode()
        )
        audit = z.read("audit.json").replace(B.encode(), C.encode())
        audit_ok = z.read("audit.json")

    def forged(name: str, body: bytes) -> bytes:
        return _resigned(data, manifest, key, name, body)

    failure = await asyncio.to_thread(_verify, tmp_path, forged("envelope.xml", envelope))
    assert failure.startswith("evidence.envelope"), failure
    failure = await asyncio.to_thread(_verify, tmp_path, forged("audit.json", audit))
    assert failure.startswith("evidence.audit"), failure
    assert await asyncio.to_thread(_verify, tmp_path, forged("audit.json", audit_ok)) == "ok"


async def test_the_receipt_carries_the_pdf_verdicts_signed(world: World, tmp_path: Path) -> None:
    """B's 03, built and sealed by the hub, carries the PDF verdicts inside its signed XML;
    a bundle whose ``pdf-verdicts.json`` says otherwise (manifest re-signed by the hub's
    key) fails at ``evidence.receipt``."""
    data = await _bundle(world, await _journey(world))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        receipts = [z.read(n) for n in z.namelist() if n.startswith("receipts/")]
        manifest = json.loads(z.read("manifest.json"))
        stated = json.loads(z.read("pdf-verdicts.json"))
    [xml] = receipts
    verified = verify_receipt(xml, world.hub.trust())
    carried = verdicts_of(verified.receipt)
    assert carried is not None and carried["policy"] == "accept"
    [file] = carried["files"]
    assert (file["name"], file["status"]) == ("quyet-dinh.pdf", "valid")
    assert file["sha256"] == stated["files"][0]["sha256"]
    assert [(s["kind"], s["ok"]) for s in file["signatures"]] == [
        ("person", True),
        ("organisation", True),
    ]
    key, _cert = await world.hub.signers.hub()
    stated["files"][0]["status"] = "invalid"
    forged = _resigned(data, manifest, key, "pdf-verdicts.json", json.dumps(stated).encode())
    failure = await asyncio.to_thread(_verify, tmp_path, forged)
    assert failure.startswith("evidence.receipt:") and "PDF verdicts differ" in failure


async def test_a_units_own_receipt_may_not_carry_pdf_verdicts(world: World) -> None:
    """B's own signed receipt XML claiming PDF verdicts is refused (422
    ``receipt.foreign_verdicts``): only the hub states them; without them it is taken."""
    mid = await _send(world, "Tờ trình")
    report = await world.hub.flow.pdf.report(mid) if world.hub.flow.pdf else None
    assert report is not None
    envelope = await world.hub.messages.envelope_xml(mid)
    key, cert = await world.hub.signers.for_document(B)

    def receipt(**extra: Any) -> bytes:
        return seal_receipt(
            Receipt(
                receipt_id=uuid.uuid4(),
                message_id=uuid.UUID(mid),
                envelope_digest=hashlib.sha256(envelope).hexdigest(),
                recipient=B,
                issuer=B,
                status=Status.ACCEPTED,
                timestamp=datetime.now(UTC),
                **extra,
            ),
            key,
            cert,
        )

    url = f"/api/v1/messages/{mid}/receipts"
    headers = {**world.auth(B), "Content-Type": "application/xml"}
    forged = receipt(extensions=extension_xml(report))
    resp = await world.client.post(url, data=forged, headers=headers)
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["error"]["code"] == "receipt.foreign_verdicts"
    resp = await world.client.post(url, data=receipt(), headers=headers)
    assert resp.status == 201, await resp.text()
