"""A PDF whose check goes over a limit, against a running ``lienthong serve`` (issue 28):
past the CPU budget where only the worker's RLIMIT_CPU can stop it, past the memory limit,
and a worker that crashes mid-check. Under ``refuse`` each is a typed 422 and nothing is
stored; under ``flag`` the message is stored, flagged, its verdict ``unchecked`` saying
why; either way the hub's next submission goes through on a fresh worker.

The memory case is a real PDF, small, whose check makes pyHanko build hundreds of MiB
(``hungry_pdf``). The CPU backstop case uses the worker's test fault
(``LIENTHONG_TEST_PDF_WORKER_FAULT``, set in the served process's environment only; no
submission can set it): the check of the file it names runs without its CPU timer, as
if stuck in C code. The crash is a real SIGSEGV sent to the worker while it checks a
costly PDF.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from support.hubproc import HubProcess
from support.livehub import A, B, LiveHome, Reply, live_home

from gateway.pdfsig.sandbox import FAULT_ENV
from tests.support.pdfsign import costly_pdf, hungry_pdf, minimal_pdf, pdf_ca, sign_pdf

pytestmark = [pytest.mark.slow]

CA = pdf_ca()
BOTH = sign_pdf(
    sign_pdf(minimal_pdf(), CA.person(), CA, field="NguoiKy"),
    CA.organisation(),
    CA,
    field="CoQuan",
)
#: A check of it costs several seconds of CPU (80,000 fields added after signing).
COSTLY = costly_pdf(BOTH, fields=80_000)
#: Its check needs more than 256 MiB (pyHanko parses a large string it holds).
HUNGRY = hungry_pdf(BOTH)
FAULTS = {FAULT_ENV: "no-cpu-timer:stuck.pdf"}


async def _hub(live: LiveHome, pdf: str, env: dict[str, str] | None = None) -> HubProcess:
    CA.write_trust_dir(live.home.root / "pdf-trust")
    with (live.home.root / "config.toml").open("a", encoding="utf-8") as config:
        config.write(f"[pdf]\n{pdf}\n")
    return await live.serve(env)


async def _send(live: LiveHome, hub: HubProcess, pdf: bytes, name: str) -> Reply:
    form = aiohttp.FormData()
    metadata = json.dumps({"to": [B], "subject": "Quyết định"}, ensure_ascii=False)
    form.add_field("metadata", metadata, content_type="application/json")
    form.add_field("file", io.BytesIO(pdf), filename=name, content_type="application/pdf")
    return await live.request(hub, "POST", "/api/v1/messages", who=A, data=form)


async def _stored(live: LiveHome, hub: HubProcess) -> tuple[int, frozenset[str]]:
    """How many messages the hub holds (the operator's search) and its blob files."""
    found = await live.request(hub, "GET", "/api/v1/messages?limit=200", who="operator")
    assert found.status == 200, found
    root = live.home.root / "blobs"
    blobs = frozenset(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []
    return len(found.json["items"]), frozenset(blobs)


async def _still_works(live: LiveHome, hub: HubProcess) -> None:
    sent = await _send(live, hub, BOTH, "quyet-dinh.pdf")
    assert sent.status == 202, sent


def _workers(hub: HubProcess) -> list[int]:
    """The PDF check workers of the served process (its children running the sandbox)."""
    assert hub.proc is not None
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == hub.proc.pid and b"gateway.pdfsig.sandbox" in cmdline:
            found.append(int(entry.name))
    return found


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _logged(hub: HubProcess, event: str) -> list[dict[str, Any]]:
    events = []
    for line in hub.log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == event:
            events.append(entry)
    return events


async def test_a_check_only_rlimit_cpu_can_stop_is_422_check_timeout(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A check that runs on without its CPU timer is ended by the worker's RLIMIT_CPU
    (SIGXCPU, logged): 422 ``attachment.check_timeout``, nothing stored, and the next
    submission goes through."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        # fetching on (the test certificates name no CRL or OCSP) gives the hub's wall
        # limit a minute more, so on a loaded host it is the worker's RLIMIT_CPU that ends
        # the check, not the hub's kill of a late worker
        pdf = 'policy = "refuse"\ncheck_cpu_seconds = 2\nfetch_revocation = true'
        hub = await _hub(live, pdf, FAULTS)
        await _still_works(live, hub)
        before = await _stored(live, hub)
        answer = await _send(live, hub, COSTLY, "stuck.pdf")
        assert (answer.status, answer.code) == (422, "attachment.check_timeout"), answer
        assert "2 s of CPU" in answer.json["error"]["message"]
        ended = _logged(hub, "pdf_check_worker_ended")
        assert [e["exit_code"] for e in ended] == [-signal.SIGXCPU], hub.log_tail()
        assert await _stored(live, hub) == before
        await _still_works(live, hub)


async def test_a_check_over_the_memory_limit_is_422_check_out_of_memory(
    tmp_path: Path, pg_url: str, amqp_url: str
) -> None:
    """A small real PDF whose check needs more than ``check_memory_mib``: 422
    ``attachment.check_out_of_memory`` naming the setting, nothing stored, the next
    submission goes through on a new worker (PostgreSQL and RabbitMQ)."""
    async with live_home(tmp_path, pg_url, amqp_url) as live:
        pdf = 'policy = "refuse"\ncheck_cpu_seconds = 60\ncheck_memory_mib = 256'
        hub = await _hub(live, pdf)
        await _still_works(live, hub)
        first = _workers(hub)
        before = await _stored(live, hub)
        answer = await _send(live, hub, HUNGRY, "hungry.pdf")
        assert (answer.status, answer.code) == (422, "attachment.check_out_of_memory"), answer
        assert "256 MiB" in answer.json["error"]["message"]
        assert await _stored(live, hub) == before
        await _still_works(live, hub)
        assert first and set(_workers(hub)).isdisjoint(first)


async def test_a_worker_crashing_mid_check_is_422_check_failed(
    tmp_path: Path, sqlite_url: str
) -> None:
    """The worker is killed by SIGSEGV while it checks: 422 ``attachment.check_failed``
    naming the signal (never a 500, never a hung request), nothing stored, and the next
    submission is checked by a fresh worker."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await _hub(live, 'policy = "refuse"\ncheck_cpu_seconds = 60')
        await _still_works(live, hub)
        (worker,) = _workers(hub)
        idle = _cpu_ticks(worker)
        before = await _stored(live, hub)
        sending = asyncio.create_task(_send(live, hub, COSTLY, "costly.pdf"))
        while _cpu_ticks(worker) - idle < 50:  # half a second of checking (100 ticks/s)
            assert not sending.done()
            await asyncio.sleep(0.1)
        os.kill(worker, signal.SIGSEGV)
        answer = await sending
        assert (answer.status, answer.code) == (422, "attachment.check_failed"), answer
        assert "SIGSEGV" in answer.json["error"]["message"]
        assert await _stored(live, hub) == before
        await _still_works(live, hub)
        assert worker not in _workers(hub)


async def test_under_flag_each_limit_is_stored_flagged_and_unchecked(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Under ``flag`` a PDF over the memory limit, and one whose worker crashed, go in:
    flagged, verdict ``unchecked`` with ``limit`` memory / crash and the reason."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        pdf = 'policy = "flag"\ncheck_cpu_seconds = 60\ncheck_memory_mib = 256'
        hub = await _hub(live, pdf)
        hog = await _send(live, hub, HUNGRY, "hungry.pdf")
        assert hog.status == 202, hog
        await _still_works(live, hub)  # the hog's worker retired: this starts a new one
        (worker,) = _workers(hub)
        idle = _cpu_ticks(worker)
        sending = asyncio.create_task(_send(live, hub, COSTLY, "costly.pdf"))
        while _cpu_ticks(worker) - idle < 50:
            await asyncio.sleep(0.1)
        os.kill(worker, signal.SIGSEGV)
        crashed = await sending
        assert crashed.status == 202, crashed
        for sent, limit, why in ((hog, "memory", "256 MiB"), (crashed, "crash", "SIGSEGV")):
            path = f"/api/v1/messages/{sent.json['id']}/status"
            status = (await live.request(hub, "GET", path, who=B)).json
            report = status["pdf_signatures"]
            assert report["flagged"] is True
            (verdict,) = report["files"]
            assert (verdict["status"], verdict["limit"]) == ("unchecked", limit)
            assert why in verdict["problem"]
        await _still_works(live, hub)
