"""RFC 3161 timestamps from a real TSA over HTTP: receipts, accepted messages, the audit
head; a TSA outage leaves them waiting, never holds a submission, and is caught up."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization

from gateway.config import TimestampsConfig
from gateway.timestamps import check_token
from tests.standins.tsa import RunningTsa, tsa_server
from tests.support.api_world import B, World, hub_config
from tests.support.proofworld import console_pages, served_world


@pytest.fixture
async def tsa() -> AsyncIterator[RunningTsa]:
    """A TSA on a free port."""
    async with tsa_server() as running:
        yield running


@pytest.fixture(params=["sqlite_url", "pg_url"])
def db_url(request: pytest.FixtureRequest) -> str:
    """SQLite, then PostgreSQL."""
    return str(request.getfixturevalue(request.param))


@pytest.fixture
async def stamped(db_url: str, tmp_home: Path, tsa: RunningTsa) -> AsyncIterator[World]:
    """A hub (SQLite, then PostgreSQL) whose stamper passes every 0.1 s and stamps the
    head every time it moves."""
    ts = TimestampsConfig(tsa_url=tsa.url, pass_seconds=0.1, head_interval_seconds=0)
    config = replace(hub_config(tmp_home, db_url, "local://"), timestamps=ts)
    async with served_world(config, console=True) as world:
        yield world


async def _counts(world: World, mid: str) -> dict[str, int]:
    resp = await world.client.get(f"/api/v1/messages/{mid}/status", headers=world.auth("operator"))
    body: dict[str, Any] = await resp.json()
    return dict(body["timestamps"])


async def _until(world: World, mid: str, want: dict[str, int]) -> None:
    for _ in range(200):
        if await _counts(world, mid) == want:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{await _counts(world, mid)} never became {want}")


def _anchor(tsa: RunningTsa) -> ax509.Certificate:
    return ax509.Certificate.load(tsa.ca.cert.public_bytes(serialization.Encoding.DER))


async def test_accepted_message_and_receipts_get_valid_tokens(
    stamped: World, tsa: RunningTsa
) -> None:
    """The accepted entry and each receipt are stamped; each token checks offline."""
    mid = await stamped.send()
    url = f"/api/v1/messages/{mid}/receipts"
    resp = await stamped.client.post(url, json={"status": "03"}, headers=stamped.auth(B))
    assert resp.status == 201
    await _until(stamped, mid, {"stamped": 2, "waiting": 0})
    stamps = await stamped.hub.timestamps.of_message(mid)
    assert sorted(s.subject for s in stamps) == ["entry", "receipt"]
    receipt = next(s for s in stamps if s.subject == "receipt")
    stored = await stamped.hub.messages.get_receipt(receipt.ref)
    assert receipt.digest == hashlib.sha256(stored.xml).hexdigest()
    for s in stamps:
        assert s.token is not None
        check = await check_token(s.token, bytes.fromhex(s.digest), [_anchor(tsa)])
        assert check.ok and check.trusted and "Test TSA" in check.tsa, check
        tampered = await check_token(s.token, hashlib.sha256(b"other").digest(), [_anchor(tsa)])
        assert not tampered.ok


async def test_the_audit_head_is_stamped(stamped: World, tsa: RunningTsa) -> None:
    """The audit chain's head gets a token over its hash."""
    await stamped.send()
    head = await stamped.hub.timestamps.head()
    assert head is not None
    for _ in range(100):
        found = await stamped.hub.timestamps.head_stamp_after(head[0])
        if found is not None:
            break
        await asyncio.sleep(0.05)
    assert found is not None and found.token is not None
    assert (await check_token(found.token, bytes.fromhex(found.digest), [_anchor(tsa)])).ok


async def test_tsa_outage_waits_and_catches_up(stamped: World, tsa: RunningTsa) -> None:
    """TSA down: submissions still answer at once, stamps wait; TSA back: all stamped."""
    tsa.down = True
    started = time.monotonic()
    mid = await stamped.send()
    assert time.monotonic() - started < 5
    await _until(stamped, mid, {"stamped": 0, "waiting": 1})
    waiting = await stamped.hub.timestamps.waiting()
    assert any(w.attempts >= 1 and w.last_error for w in waiting)
    async with console_pages(stamped) as page:
        html = await page(f"/console/messages/{mid}?lang=en")
        assert 'data-waiting="1"' in html and "waiting for the time-stamp authority" in html
        tsa.down = False
        await _until(stamped, mid, {"stamped": 1, "waiting": 0})
        html = await page(f"/console/messages/{mid}?lang=vi")
        assert 'data-waiting="0"' in html and "1 đã đóng dấu" in html
