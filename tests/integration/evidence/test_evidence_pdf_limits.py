"""``lienthong evidence verify`` checks a bundle's PDFs in a worker process within limits
(issue 28): a bundle legitimately exported by a hub whose own check of a PDF went over its
memory limit (policy flag: stored, flagged, ``unchecked``) gives, with low limits, exit 1
and one line ``evidence.pdf_check_limit: …``; with the default limits the verifier checks
it and says so; a normal bundle still verifies within low limits.

The costly PDF is ``hungry_pdf``: small, but its check needs more than 256 MiB. The bundle
is hub-signed, so the failure comes at the PDF step, after every other check held.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from gateway.config import PdfConfig
from tests.support.api_world import A, B, World, _json, hub_config
from tests.support.hubproc import LIENTHONG
from tests.support.pdfsign import hungry_pdf, minimal_pdf, pdf_ca, sign_pdf
from tests.support.proofworld import served_world

pytestmark = [pytest.mark.slow]

CA = pdf_ca()
#: Signed at import: pyHanko's synchronous signing runs an event loop of its own.
SIGNED = sign_pdf(
    sign_pdf(minimal_pdf(), CA.person(), CA, field="NguoiKy"), CA.organisation(), CA, field="CoQuan"
)
#: Its check needs more than 256 MiB (and fits in the default 1024).
HUNGRY = hungry_pdf(SIGNED)


@pytest.fixture
async def world(tmp_home: Path, sqlite_url: str) -> AsyncIterator[World]:
    """A hub flagging what it cannot check, its PDF checks limited to 256 MiB."""
    CA.write_trust_dir(tmp_home / "pdf-trust")
    pdf = PdfConfig(policy="flag", check_memory_mib=256)
    async with served_world(replace(hub_config(tmp_home, sqlite_url, "local://"), pdf=pdf)) as w:
        yield w


async def _exported(world: World, pdf: bytes, out: Path) -> Path:
    """A sends B ``pdf``; its evidence bundle, as the hub exports it, saved at ``out``."""
    form = aiohttp.FormData()
    form.add_field("metadata", _json({"to": [B], "subject": "Quyết định"}),
                   content_type="application/json")  # fmt: skip
    form.add_field("file", io.BytesIO(pdf), filename="qd.pdf", content_type="application/pdf")
    resp = await world.client.post("/api/v1/messages", data=form, headers=world.auth(A))
    assert resp.status == 202, await resp.text()
    mid = (await resp.json())["id"]
    resp = await world.client.get(f"/api/v1/messages/{mid}/evidence", headers=world.auth(A))
    assert resp.status == 200, await resp.text()
    out.write_bytes(await resp.read())
    return out


def _verify(tmp_path: Path, bundle: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``lienthong evidence verify`` offline: no hub URL, no token, an empty home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env |= {"HOME": str(tmp_path / "nobody"), "LIENTHONG_HOME": str(tmp_path / "no-home")}
    return subprocess.run(
        [LIENTHONG, "evidence", "verify", str(bundle), *options],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


async def test_a_pdf_over_the_memory_limit_is_a_typed_one_line_failure(
    world: World, tmp_path: Path
) -> None:
    """With ``--pdf-memory-mib 256`` the hungry PDF of a hub-flagged bundle gives exit 1
    and the one line ``evidence.pdf_check_limit: qd.pdf: …``, no traceback."""
    bundle = await _exported(world, HUNGRY, tmp_path / "hungry.zip")
    done = await asyncio.to_thread(_verify, tmp_path, bundle, "--pdf-memory-mib", "256")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert done.stderr == (
        "evidence.pdf_check_limit: qd.pdf: checking its signatures needed more than "
        "256 MiB of memory (--pdf-memory-mib); not verified\n"
    )


async def test_a_pdf_over_the_cpu_limit_is_a_typed_one_line_failure(
    world: World, tmp_path: Path
) -> None:
    """With ``--pdf-cpu-seconds 0.001`` even a normal PDF's check stops: exit 1, one line
    ``evidence.pdf_check_limit`` naming the CPU limit."""
    bundle = await _exported(world, SIGNED, tmp_path / "normal.zip")
    done = await asyncio.to_thread(_verify, tmp_path, bundle, "--pdf-cpu-seconds", "0.001")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert done.stderr == (
        "evidence.pdf_check_limit: qd.pdf: checking its signatures needed more than "
        "0.001 s of CPU (--pdf-cpu-seconds); not verified\n"
    )


async def test_within_the_default_limits_the_verifier_checks_what_the_hub_could_not(
    world: World, tmp_path: Path
) -> None:
    """The hub stated the hungry PDF ``unchecked`` (memory); the verifier, within its
    default 1024 MiB, checks it: exit 0, and the report says both."""
    bundle = await _exported(world, HUNGRY, tmp_path / "hungry.zip")
    done = await asyncio.to_thread(_verify, tmp_path, bundle)
    assert done.returncode == 0, done.stderr
    assert "pdf: qd.pdf: the hub could not check it (memory); " in done.stdout


async def test_a_normal_bundle_verifies_within_low_limits(world: World, tmp_path: Path) -> None:
    """A bundle whose PDF is an ordinary signed one verifies with the lowest memory limit."""
    bundle = await _exported(world, SIGNED, tmp_path / "normal.zip")
    done = await asyncio.to_thread(_verify, tmp_path, bundle, "--pdf-memory-mib", "256")
    assert done.returncode == 0, done.stderr
    assert "pdf: qd.pdf: 2 signatures: person ✔, organisation ✔ (valid)" in done.stdout


def test_out_of_range_limits_are_refused_before_anything_runs(tmp_path: Path) -> None:
    """``--pdf-memory-mib 100`` is a usage error (exit 2), as ``[pdf]`` would refuse it."""
    bundle = tmp_path / "any.zip"
    bundle.write_bytes(b"")
    done = _verify(tmp_path, bundle, "--pdf-memory-mib", "100")
    assert done.returncode == 2
    assert "--pdf-memory-mib" in done.stderr
