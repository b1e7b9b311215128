"""PDF signatures checked on arrival, over HTTP: each verdict, each policy, both submit paths.

The test CA is put in the hub's PDF trust list (``<home>/pdf-trust``); PDFs are signed with
pyHanko by a person and by the organisation, or changed after signing, or signed with an
expired certificate, or by a CA the hub does not trust.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.config import PdfConfig
from gateway.envelope.seal import seal_envelope
from gateway.hub import UploadedFile
from gateway.pipeline.document import build_envelope
from tests.support.api_world import A, B, World, _json, hub_config
from tests.support.hubproc import LIENTHONG
from tests.support.pdfsign import costly_pdf, minimal_pdf, pdf_ca, sign_pdf, tamper
from tests.support.proofworld import console_pages, served_world

CA = pdf_ca()


def _pdfs() -> dict[str, bytes]:
    pdf = minimal_pdf()
    person = sign_pdf(pdf, CA.person(), CA, field="NguoiKy")
    both = sign_pdf(person, CA.organisation(), CA, field="CoQuan")
    stranger = pdf_ca("stranger-ca", slot=20)
    return {
        "both": both,
        "person_only": person,
        "changed": tamper(both),
        "expired": sign_pdf(
            sign_pdf(pdf, CA.issue("Trần Thị B", "UBND xã Test", slot=13, expired=True), CA),
            CA.organisation(),
            CA,
            field="CoQuan",
        ),
        "untrusted": sign_pdf(
            sign_pdf(pdf, stranger.person(), stranger),
            stranger.organisation(),
            stranger,
            field="CoQuan",
        ),
        "unsigned": pdf,
    }


PDFS = _pdfs()


async def _world(home: Path, url: str, policy: str, cpu: float = 10.0) -> AsyncIterator[World]:
    CA.write_trust_dir(home / "pdf-trust")
    pdf = PdfConfig(policy=policy, check_cpu_seconds=cpu)
    config = replace(hub_config(home, url, "local://"), pdf=pdf)
    async with served_world(config, console=True) as world:
        yield world


@pytest.fixture(params=["sqlite_url", "pg_url"])
def db_url(request: pytest.FixtureRequest) -> str:
    """SQLite, then PostgreSQL."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def accepting(tmp_home: Path, db_url: str) -> AsyncIterator[World]:
    """A hub with ``policy = "accept"`` (SQLite, then PostgreSQL)."""
    async for w in _world(tmp_home, db_url, "accept"):
        yield w


@pytest.fixture
async def refusing(tmp_home: Path, sqlite_url: str) -> AsyncIterator[World]:
    """A hub with ``policy = "refuse"``."""
    async for w in _world(tmp_home, sqlite_url, "refuse"):
        yield w


@pytest.fixture
async def refusing_in_a_second(tmp_home: Path, sqlite_url: str) -> AsyncIterator[World]:
    """A hub with ``policy = "refuse"`` and one second of CPU per PDF check."""
    async for w in _world(tmp_home, sqlite_url, "refuse", cpu=1.0):
        yield w


@pytest.fixture
async def accepting_in_a_second(tmp_home: Path, pg_url: str) -> AsyncIterator[World]:
    """A hub with ``policy = "accept"`` on PostgreSQL and one second of CPU per PDF check."""
    async for w in _world(tmp_home, pg_url, "accept", cpu=1.0):
        yield w


@pytest.fixture
async def flagging(tmp_home: Path, sqlite_url: str) -> AsyncIterator[World]:
    """A hub with ``policy = "flag"``."""
    async for w in _world(tmp_home, sqlite_url, "flag"):
        yield w


async def _post(world: World, pdf: bytes, name: str = "quyet-dinh.pdf") -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field(
        "metadata", _json({"to": [B], "subject": "Quyết định"}), content_type="application/json"
    )
    form.add_field("file", io.BytesIO(pdf), filename=name, content_type="application/pdf")
    return await world.client.post("/api/v1/messages", data=form, headers=world.auth(A))


async def _status(world: World, message_id: str, who: str = "operator") -> dict[str, Any]:
    resp = await world.client.get(f"/api/v1/messages/{message_id}/status", headers=world.auth(who))
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def _verdict(world: World, pdf: bytes) -> dict[str, Any]:
    resp = await _post(world, pdf)
    assert resp.status == 202, await resp.text()
    status = await _status(world, (await resp.json())["id"])
    files: list[dict[str, Any]] = status["pdf_signatures"]["files"]
    assert len(files) == 1
    return files[0]


async def test_person_and_organisation_signed_pdf_is_a_valid_original(accepting: World) -> None:
    """Both signatures valid: status valid, each signer, time and revocation stated."""
    v = await _verdict(accepting, PDFS["both"])
    assert v["status"] == "valid" and v["problem"] is None
    assert v["summary"] == {
        "vi": "2 chữ ký: cá nhân ✔, tổ chức ✔",
        "en": "2 signatures: person ✔, organisation ✔",
    }
    person, org = v["signatures"]
    assert (person["signer"], person["kind"], person["field"]) == (
        "Nguyễn Văn A",
        "person",
        "NguoiKy",
    )
    assert (org["signer"], org["kind"]) == ("UBND xã Test", "organisation")
    for s in (person, org):
        assert s["ok"] and s["intact"] and s["trusted"] and not s["modified_after_signing"]
        assert s["signed_at"] and s["revocation"].startswith("not checked")


async def test_each_bad_pdf_gets_its_verdict_and_is_accepted_under_accept(accepting: World) -> None:
    """Under ``accept`` every PDF gets in, each with the verdict that names what is wrong."""
    changed = await _verdict(accepting, PDFS["changed"])
    assert changed["status"] == "invalid"
    assert all(s["modified_after_signing"] for s in changed["signatures"])
    expired = await _verdict(accepting, PDFS["expired"])
    assert expired["status"] == "invalid"
    assert "expired" in expired["signatures"][0]["problem"] and expired["signatures"][1]["ok"]
    person = await _verdict(accepting, PDFS["person_only"])
    assert person["status"] == "incomplete" and person["problem"] == "no organisation signature"
    assert person["summary"]["vi"] == "1 chữ ký: cá nhân ✔"
    untrusted = await _verdict(accepting, PDFS["untrusted"])
    assert untrusted["status"] == "invalid"
    assert "trust list" in untrusted["signatures"][0]["problem"]
    assert not any(s["trusted"] for s in untrusted["signatures"])
    unsigned = await _verdict(accepting, PDFS["unsigned"])
    assert unsigned["status"] == "unsigned" and unsigned["signatures"] == []


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("changed", "attachment.signature_invalid"),
        ("expired", "attachment.signature_invalid"),
        ("untrusted", "attachment.signature_invalid"),
        ("person_only", "attachment.unsigned"),
        ("unsigned", "attachment.unsigned"),
    ],
)
async def test_refuse_policy_answers_422_with_the_code(
    refusing: World, name: str, code: str
) -> None:
    """Under ``refuse`` a PDF that is not a valid original is refused with its stable code."""
    resp = await _post(refusing, PDFS[name])
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["error"]["code"] == code


async def test_refuse_policy_takes_the_valid_original(refusing: World) -> None:
    """Under ``refuse`` a PDF signed by person and organisation goes through."""
    resp = await _post(refusing, PDFS["both"])
    assert resp.status == 202, await resp.text()


async def test_a_broken_file_named_pdf_is_refused_not_a_500(refusing: World) -> None:
    """Garbage named ``.pdf`` is unreadable: ``attachment.signature_invalid``, never a 500."""
    resp = await _post(refusing, b"%PDF-1.7\n" + b"\x00garbage" * 100)
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "attachment.signature_invalid"


def _hostile() -> dict[str, bytes]:
    both = PDFS["both"]
    at = both.index(b"/Contents <") + len(b"/Contents <")
    zeroed = both[:at] + b"0" * 64 + both[at + 64 :]
    ranged = both.replace(b"/ByteRange [", b"/ByteRange [999999999 ", 1)
    return {
        "truncated": both[: len(both) // 2],
        "signature_zeroed": zeroed,
        "byte_range_outside": ranged,
        "no_xref": both.replace(b"xref", b"xxxx").replace(b"startxref", b"startxxxx"),
    }


@pytest.mark.parametrize("name", ["truncated", "signature_zeroed", "byte_range_outside", "no_xref"])
async def test_hostile_pdfs_get_a_typed_422_never_a_500(refusing: World, name: str) -> None:
    """A damaged signed PDF is refused with ``attachment.*`` (and the hub stays up)."""
    resp = await _post(refusing, _hostile()[name])
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["error"]["code"] in (
        "attachment.signature_invalid",
        "attachment.unsigned",
    )
    assert (await _post(refusing, PDFS["both"])).status == 202


async def test_refuse_applies_to_signed_envelopes_too(refusing: World) -> None:
    """A unit's own signed envelope with an unsigned PDF is refused the same way."""
    ref = await refusing.hub.blobs.put_bytes(PDFS["person_only"])
    files = [UploadedFile("qd.pdf", "application/pdf", ref.sha256, ref.size)]
    env = build_envelope(A, {"to": [B], "subject": "Ký số"}, files, is_group=lambda code: False)
    key, cert = await refusing.hub.signers.for_document(A)
    headers = {**refusing.auth(A), "Content-Type": "application/xml"}
    resp = await refusing.client.post(
        "/api/v1/messages", data=seal_envelope(env, key, cert), headers=headers
    )
    assert resp.status == 422
    assert (await resp.json())["error"]["code"] == "attachment.unsigned"


async def test_flag_policy_accepts_and_flags(flagging: World) -> None:
    """Under ``flag`` the message goes through, flagged; the recipient sees the verdict."""
    resp = await _post(flagging, PDFS["person_only"])
    assert resp.status == 202
    mid = (await resp.json())["id"]
    report = (await _status(flagging, mid, who=B))["pdf_signatures"]
    assert report["policy"] == "flag" and report["flagged"] is True
    good = await _post(flagging, PDFS["both"])
    report = (await _status(flagging, (await good.json())["id"]))["pdf_signatures"]
    assert report["flagged"] is False


async def test_no_pdf_no_report(accepting: World) -> None:
    """A message without a PDF has ``pdf_signatures: null``."""
    form = aiohttp.FormData()
    form.add_field(
        "metadata", _json({"to": [B], "subject": "Ghi chú"}), content_type="application/json"
    )
    form.add_field("file", b"plain text", filename="ghi-chu.txt", content_type="text/plain")
    resp = await accepting.client.post("/api/v1/messages", data=form, headers=accepting.auth(A))
    assert resp.status == 202
    assert (await _status(accepting, (await resp.json())["id"]))["pdf_signatures"] is None


async def test_console_shows_the_verdict_in_both_languages(flagging: World) -> None:
    """The console's message page says ``2 chữ ký: cá nhân ✔, tổ chức ✔`` (and in English)."""
    resp = await _post(flagging, PDFS["both"])
    mid = (await resp.json())["id"]
    bad = await _post(flagging, PDFS["changed"])
    bad_id = (await bad.json())["id"]
    async with console_pages(flagging) as page:
        vi = await page(f"/console/messages/{mid}")
        assert "2 chữ ký: cá nhân ✔, tổ chức ✔" in vi and 'id="pdf-flagged"' not in vi
        en = await page(f"/console/messages/{mid}?lang=en")
        assert "2 signatures: person ✔, organisation ✔" in en
        flagged = await page(f"/console/messages/{bad_id}?lang=en")
        assert 'id="pdf-flagged"' in flagged and "changed after signing" in flagged
        assert re.search(r'data-pdf-status="invalid"', flagged)
        flagged_vi = await page(f"/console/messages/{bad_id}?lang=vi")
        assert "tệp bị sửa sau khi ký" in flagged_vi and "chữ ký không hợp lệ" in flagged_vi
        assert "changed after" not in flagged_vi


async def test_cli_status_shows_the_verdict(refusing: World, tmp_path: Path) -> None:
    """``lienthong status ID`` prints each PDF's verdict above the timeline."""
    resp = await _post(refusing, PDFS["both"])
    mid = (await resp.json())["id"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(
        LIENTHONG_URL=str(refusing.client.make_url("")).rstrip("/"),
        LIENTHONG_TOKEN=refusing.tokens[A],
        LIENTHONG_HOME=str(tmp_path / "cli-home"),
    )
    proc = await asyncio.create_subprocess_exec(
        LIENTHONG, "status", mid, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    line = "pdf quyet-dinh.pdf: 2 signatures: person ✔, organisation ✔ (valid)"
    assert line in out.decode()


async def test_costly_pdf_is_refused_with_check_timeout_and_the_hub_stays_responsive(
    refusing_in_a_second: World,
) -> None:
    """A well-formed PDF whose check costs seconds of CPU: 422 ``attachment.check_timeout``
    once it reaches the limit; meanwhile the hub answers its health probe; a valid original
    goes through after."""
    world = refusing_in_a_second
    assert (await _post(world, PDFS["both"])).status == 202  # the check's worker is warm
    started = time.monotonic()
    costly = asyncio.create_task(_post(world, costly_pdf(PDFS["both"])))
    await asyncio.sleep(0.2)
    health = await world.client.get("/healthz")
    assert health.status == 200 and not costly.done()
    resp = await costly
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert error["code"] == "attachment.check_timeout" and "CPU" in error["message"]
    assert time.monotonic() - started < 20
    assert (await _post(world, PDFS["both"])).status == 202


async def test_costly_pdf_under_accept_is_stored_unchecked(accepting_in_a_second: World) -> None:
    """Under ``accept`` the costly PDF goes in; its verdict says it was not checked, and why."""
    v = await _verdict(accepting_in_a_second, costly_pdf(PDFS["both"]))
    assert v["status"] == "unchecked" and v["signatures"] == []
    assert v["summary"]["en"].startswith("signatures not checked (the check needed more than 1 s")
