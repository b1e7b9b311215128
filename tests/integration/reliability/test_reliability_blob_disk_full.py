"""Issue 21 item 10: a full blob disk is 507 ``storage.full`` and not-ready, not 500.

The hub's blob directory is a small tmpfs of its own (mounting one needs root; the test
skips otherwise), filled to the last byte by a ballast file: every submission must get
507 ``storage.full`` with ``Retry-After``, ``/readyz`` must say ``storage`` is down, and
once the ballast is removed the hub is ready and accepts documents again. Over HTTP,
against ``lienthong serve`` on the embedded stack (its database is outside the tmpfs).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from jepsen_model import RECIPIENTS, SENDERS, UNITS, Attempt, bearer, metadata
from support.hubproc import HubHome, HubProcess

pytestmark = [pytest.mark.integration]


def fill(path: Path) -> None:
    """Write ``path`` until the file system has no byte left."""
    with path.open("wb", buffering=0) as fh:
        for block in (65536, 1):
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * block)


@pytest.fixture
async def small_disk_hub(tmp_path: Path) -> AsyncIterator[tuple[HubProcess, Path]]:
    """A running embedded hub whose blob directory is a 2 MiB tmpfs; the hub and it."""
    home = HubHome(
        tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'hub.db'}", bus_url="local://"
    )
    home.provision(UNITS)
    blobs = home.root / "blobs"
    blobs.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(blobs)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    hub = home.process()
    try:
        await hub.start()
        yield hub, blobs
    finally:
        await hub.stop()
        subprocess.run(["umount", "-l", str(blobs)], check=False)


async def submit(
    http: aiohttp.ClientSession, hub: HubProcess, subject: str
) -> aiohttp.ClientResponse:
    """One multipart submission with a ~10 KB file; the response (body read)."""
    attempt = Attempt(subject, SENDERS[0], RECIPIENTS[0])
    async with http.post(
        f"{hub.url}/api/v1/messages",
        data=metadata(attempt),
        headers=bearer(hub.home.tokens[SENDERS[0]]),
    ) as resp:
        await resp.read()
        return resp


async def test_full_blob_disk_is_507_and_not_ready_until_space_frees(
    small_disk_hub: tuple[HubProcess, Path],
) -> None:
    """Disk full: 507 ``storage.full`` + Retry-After on each submit, ``/readyz`` 503 naming
    ``storage``; ballast removed: ready again and the next submission is accepted."""
    hub, blobs = small_disk_hub
    ballast = blobs / "ballast"
    async with aiohttp.ClientSession() as http:
        assert (await submit(http, hub, "before")).status == 202
        fill(ballast)
        for n in range(3):
            resp = await submit(http, hub, f"while full {n}")
            body = await resp.json()
            assert resp.status == 507, body
            assert body["error"]["code"] == "storage.full"
            assert resp.headers.get("Retry-After")
        async with http.get(f"{hub.url}/readyz") as resp:
            ready = await resp.json()
            assert resp.status == 503 and "storage" in ready["down"], ready
        leftovers = [p.name for p in blobs.iterdir() if p.name.startswith(".incoming-")]
        assert leftovers == []
        ballast.unlink()
        async with http.get(f"{hub.url}/readyz") as resp:
            assert resp.status == 200, await resp.text()
        assert (await submit(http, hub, "after")).status == 202
