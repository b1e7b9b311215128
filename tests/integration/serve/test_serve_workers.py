"""``lienthong serve --workers N``: processes sharing one port, and its refusals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import aiohttp

from tests.support.served_hub import LIENTHONG, C, D, _directory, start_hub


async def _pids(url: str, connections: int = 40) -> set[int]:
    """The process ids answering /healthz over fresh connections (the kernel spreads them)."""
    pids = set()
    for _ in range(connections):
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as s, s.get(f"{url}/healthz") as r:
            pids.add(int((await r.json())["pid"]))
    return pids


async def test_two_workers_share_the_port_and_carry_documents(
    tmp_path: Path, pg_url: str, amqp_url: str
) -> None:
    """Two workers both answer on one port, a document flows, and SIGTERM stops all with 0."""
    tokens = await _directory(pg_url)
    hub = await asyncio.to_thread(
        start_hub, tmp_path, pg_url, amqp_url, "--workers", "2", tokens=tokens
    )
    try:
        pids = await _pids(hub.url)
        for _ in range(50):
            if len(pids) == 2:
                break
            await asyncio.sleep(0.2)  # the second worker may still be starting
            pids |= await _pids(hub.url, 10)
        assert len(pids) == 2 and hub.proc.pid not in pids
        async with aiohttp.ClientSession() as s:
            message_id = await hub.send(s, C, D)
            assert (await hub.wait_item(s, D, message_id))["sender"] == C
    finally:
        status = await asyncio.to_thread(hub.stop)
    assert status == 0, hub.log.read_text()[-3000:]
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")


async def _two_pids(url: str, without: int = 0) -> set[int]:
    """The two workers' pids (neither ``without``), once both answer (30 s at most)."""
    pids: set[int] = set()
    for _ in range(150):
        try:
            pids = {pid for pid in await _pids(url, 20) if pid != without}
        except aiohttp.ClientError:  # a connection the dying worker had accepted
            pids = set()
        if len(pids) == 2:
            return pids
        await asyncio.sleep(0.2)
    raise AssertionError(f"workers answering: {pids}")


async def test_a_killed_worker_is_started_again(tmp_path: Path, pg_url: str, amqp_url: str) -> None:
    """SIGKILL on one worker: the parent starts a new one on the port, documents still
    flow, and SIGTERM then stops everything with 0."""
    tokens = await _directory(pg_url)
    hub = await asyncio.to_thread(
        start_hub, tmp_path, pg_url, amqp_url, "--workers", "2", tokens=tokens
    )
    try:
        before = await _two_pids(hub.url)
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        after = await _two_pids(hub.url, without=victim)
        assert victim not in after and len(after & before) == 1
        async with aiohttp.ClientSession() as s:
            message_id = await hub.send(s, C, D)
            assert (await hub.wait_item(s, D, message_id))["sender"] == C
    finally:
        status = await asyncio.to_thread(hub.stop)
    log = hub.log.read_text()
    assert status == 0, log[-3000:]
    assert "hub.worker_died" in log and "hub.worker_restarted" in log


def test_workers_refused_on_the_local_bus(tmp_path: Path) -> None:
    """--workers 2 on the embedded default exits 2 with config.invalid naming the local bus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env |= {"LIENTHONG_HOME": str(tmp_path / "home"), "LIENTHONG_KEY_PASSPHRASE": "x"}
    done = subprocess.run(
        [str(LIENTHONG), "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("config.invalid:") and "local bus" in done.stderr
