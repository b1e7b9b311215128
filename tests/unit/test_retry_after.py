"""Busy answers honoured (issue 27): the one helper, and the hub's HTTP clients (the
upstream's axis and VXP clients, ``lienthong send``'s HubClient) against a real HTTP server
that answers 503 ``hub.overloaded`` with ``Retry-After`` before it takes the request."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.axis.client import AxisClient
from adapters.axis.vxp_client import VxpClient
from adapters.resilience import retry_after_from_options
from gateway.cli.client import HubClient
from gateway.errors import AdapterUnavailable, ConfigError, GatewayError
from gateway.retry_after import Busy, RetryAfter, parse_retry_after, retrying

OVERLOADED = {"error": {"code": "hub.overloaded", "message": "the hub is at its bound"}}


@dataclass
class BusyServer:
    """Answers ``busy`` requests 503 with ``retry_after``, then the real answer."""

    busy: int
    retry_after: str | None = "1"
    seen: list[tuple[float, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.seen.append((time.monotonic(), dict(request.headers)))
        if len(self.seen) <= self.busy:
            headers = {"Retry-After": self.retry_after} if self.retry_after else {}
            return web.json_response(OVERLOADED, status=503, headers=headers)
        if request.path == "/api/v1/messages":
            return web.json_response({"id": "m-1", "status_url": "/s"}, status=202)
        if request.path.startswith("/vxp/"):
            return web.json_response({"ErrorCode": "0", "status": "OK", "DocId": "d-1"})
        return web.json_response({"docId": "d-1", "created": True}, status=201)

    def pauses(self) -> list[float]:
        """The time between consecutive requests."""
        times = [t for t, _ in self.seen]
        return [b - a for a, b in itertools.pairwise(times)]


@pytest.fixture
async def served() -> AsyncIterator[tuple[BusyServer, str]]:
    """A busy server on an ephemeral port, and its base URL (change ``busy`` per test)."""
    server = BusyServer(busy=1)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    async with TestServer(app) as http:
        yield server, str(http.make_url("")).rstrip("/")


def test_retry_after_reads_seconds_and_dates() -> None:
    """Delta-seconds and an HTTP-date are read; nothing or garbage is None."""
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert [parse_retry_after(v) for v in (None, "", "soon", "-1", "1.5")] == [None] * 5


def test_a_pause_is_bounded_and_jittered() -> None:
    """The wait is what was asked plus at most the jitter, never over max_wait; no
    Retry-After is not retried without a fallback; no retry past ``retries``."""
    policy = RetryAfter(retries=2, max_wait=10.0, jitter=0.5, rng=lambda: 1.0)
    assert policy.pause(0, 2.0) == 3.0
    assert policy.pause(1, 3600.0) == 10.0
    assert policy.pause(2, 1.0) is None
    assert policy.pause(0, None) is None
    doubling = RetryAfter(retries=3, jitter=0.0, fallback=1.0)
    assert [doubling.pause(n, None) for n in range(4)] == [1.0, 2.0, 4.0, None]


async def test_retrying_gives_up_with_the_typed_error() -> None:
    """Busy every time: the attempt runs 1 + retries times, then its typed error is raised."""
    calls: list[float] = []

    async def attempt() -> str:
        calls.append(0)
        raise Busy(AdapterUnavailable("axis answered 503"), 0.0)

    with pytest.raises(AdapterUnavailable):
        await retrying(RetryAfter(retries=2), attempt)
    assert len(calls) == 3


def test_adapter_options_configure_it() -> None:
    """``retry_after_retries`` and ``retry_after_max`` from an adapter's options."""
    policy = retry_after_from_options({"retry_after_retries": 5, "retry_after_max": 2})
    assert (policy.retries, policy.max_wait) == (5, 2.0)
    with pytest.raises(ConfigError):
        retry_after_from_options({"retry_after_max": -1})


async def test_axis_client_waits_as_asked_then_sends(served: tuple[BusyServer, str]) -> None:
    """503 hub.overloaded with Retry-After: 1, twice: the axis client waits about a second
    each time, re-signs, and the third try's answer is returned."""
    server, url = served
    server.busy = 2
    client = AxisClient(url, "sys", "secret", timeout=5)
    try:
        answer = await client.send(b"<edXML/>", "edoc")
    finally:
        await client.aclose()
    assert answer["docId"] == "d-1" and len(server.seen) == 3
    assert all(1.0 <= p < 1.6 for p in server.pauses()), server.pauses()
    nonces = {h.get("X-Axis-Nonce") for _, h in server.seen}
    assert len(nonces) == 3  # each try signed afresh


async def test_axis_client_bounded_by_its_maximum(served: tuple[BusyServer, str]) -> None:
    """Retry-After: 3600 with a 0.2 s maximum: it waits 0.2 s, and after its retries it
    raises adapter.unavailable as before."""
    server, url = served
    server.busy, server.retry_after = 10, "3600"
    client = AxisClient(url, "sys", "secret", timeout=5, retry=RetryAfter(2, max_wait=0.2))
    try:
        with pytest.raises(AdapterUnavailable) as err:
            await client.send(b"<edXML/>", "edoc")
    finally:
        await client.aclose()
    assert "hub.overloaded" in str(err.value)
    assert len(server.seen) == 3
    assert all(0.19 <= p < 0.6 for p in server.pauses()), server.pauses()


async def test_axis_client_without_retry_after_leaves_it_to_the_runner(
    served: tuple[BusyServer, str],
) -> None:
    """A 503 that asks for no wait is adapter.unavailable at once (the runner backs off)."""
    server, url = served
    server.retry_after = None
    client = AxisClient(url, "sys", "secret", timeout=5)
    try:
        with pytest.raises(AdapterUnavailable):
            await client.send(b"<edXML/>", "edoc")
    finally:
        await client.aclose()
    assert len(server.seen) == 1


async def test_vxp_client_waits_as_asked(served: tuple[BusyServer, str]) -> None:
    """The VXP client honours Retry-After (given as an HTTP-date) the same way."""
    server, url = served
    server.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    client = VxpClient(f"{url}/vxp", "sys", "secret", timeout=5)
    try:
        answer = await client.send(b"<edXML/>", "edoc")
    finally:
        await client.aclose()
    assert answer["docId"] == "d-1" and len(server.seen) == 2
    assert server.pauses()[0] < 2.5


async def test_hub_client_send_retries_with_the_same_key(
    served: tuple[BusyServer, str], tmp_path: Path
) -> None:
    """``lienthong send``'s client: 503 with Retry-After, then 202; both tries carry the
    same Idempotency-Key and the file."""
    server, url = served
    doc = tmp_path / "cong-van.pdf"
    doc.write_bytes(b"%PDF-1.4 noi dung")
    client = HubClient(url, "token", RetryAfter(retries=3, max_wait=5))
    result = await client.send({"to": ["X"], "subject": "s"}, [doc], idempotency_key="k-1")
    assert result["id"] == "m-1"
    assert [h["Idempotency-Key"] for _, h in server.seen] == ["k-1", "k-1"]
    assert 1.0 <= server.pauses()[0] < 1.6


async def test_hub_client_send_gives_up_with_the_hubs_error(
    served: tuple[BusyServer, str], tmp_path: Path
) -> None:
    """Still overloaded after its retries: the hub's own typed error, hub.overloaded."""
    server, url = served
    server.busy, server.retry_after = 10, "0"
    doc = tmp_path / "a.txt"
    doc.write_bytes(b"x")
    client = HubClient(url, "token", RetryAfter(retries=1, max_wait=1))
    with pytest.raises(GatewayError) as err:
        await client.send({"to": ["X"]}, [doc], idempotency_key="k-2")
    assert (err.value.code, err.value.http_status) == ("hub.overloaded", 503)
    assert len(server.seen) == 2
