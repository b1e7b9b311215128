"""Refusals over HTTP that must leave nothing behind and cost the hub little (issue 21,
"Also seen"): orphan blobs, repeated parts, bodies read before authentication, secret
guessing, duplicate attachment names, an empty suffix range.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.hostile.http.untrusted_hub import (
    AXIS_SYSTEM,
    A,
    B,
    HostileHub,
    hostile_hub,
)


@pytest.fixture(params=["sqlite+local", "postgresql+rabbitmq"])
def backends(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(database url, bus url): embedded, then production-like."""
    if request.param == "sqlite+local":
        return request.getfixturevalue("sqlite_url"), "local://"
    return request.getfixturevalue("pg_url"), request.getfixturevalue("amqp_url")


@pytest.fixture
async def live(tmp_path: Path, backends: tuple[str, str]) -> AsyncIterator[HostileHub]:
    """The served hub, on both stacks."""
    async with hostile_hub(tmp_path / "home", *backends) as running:
        yield running


def _form(meta: dict[str, object], files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("metadata", json.dumps(meta), content_type="application/json")
    for name, content in files:
        form.add_field("file", content, filename=name, content_type="application/pdf")
    return form


async def test_too_many_files_leave_no_blob(live: HostileHub) -> None:
    """1,001 file parts are 400 request.invalid, and none of the 1,000 stored first stays."""
    before = await live.snapshot()
    files = [(f"f{i}.pdf", f"file {i}".encode()) for i in range(1001)]
    answer = await live.request(
        "POST", "/api/v1/messages", headers=live.auth(A), data=_form({"to": [B]}, files)
    )
    assert (answer.status, answer.code) == (400, "request.invalid"), answer
    assert await live.snapshot() == before


async def test_refused_submission_leaves_no_blob_but_keeps_shared_ones(live: HostileHub) -> None:
    """A submission refused after its files were stored (unknown recipient, 422) removes the
    blobs it created, and keeps a blob an accepted message already holds."""
    await live.send(content=b"shared bytes")
    assert await live.pending(B)
    before = await live.snapshot()
    files = [("shared.pdf", b"shared bytes"), ("new.pdf", b"bytes nobody else has")]
    meta = {"to": ["999.99.99.H99"], "subject": "x"}
    answer = await live.request(
        "POST", "/api/v1/messages", headers=live.auth(A), data=_form(meta, files)
    )
    assert (answer.status, answer.code) == (422, "routing.unknown_recipient"), answer
    assert await live.snapshot() == before


async def test_duplicate_attachment_names_are_422(live: HostileHub) -> None:
    """Two files with one name are 422 attachment.duplicate_name; nothing is stored."""
    before = await live.snapshot()
    files = [("same.pdf", b"one"), ("same.pdf", b"two")]
    meta = {"to": [B], "subject": "x"}
    answer = await live.request(
        "POST", "/api/v1/messages", headers=live.auth(A), data=_form(meta, files)
    )
    assert (answer.status, answer.code) == (422, "attachment.duplicate_name"), answer
    assert await live.snapshot() == before


async def test_empty_suffix_range_is_416(live: HostileHub) -> None:
    """``Range: bytes=-0`` asks for no bytes: 416 request.bad_range with the real length."""
    message_id = await live.send(content=b"0123456789")
    path = f"/api/v1/messages/{message_id}/attachments/bao-cao.pdf"
    for spec in ("bytes=-0", "bytes=-000"):
        answer = await live.request("GET", path, headers={**live.auth(B), "Range": spec})
        assert (answer.status, answer.code) == (416, "request.bad_range"), answer
        assert answer.headers["content-range"] == "bytes */10"
    answer = await live.request("GET", path, headers={**live.auth(B), "Range": "bytes=-3"})
    assert answer.status == 206


def _declared_40mb(*credentials: bytes) -> bytes:
    return b"\r\n".join(
        [
            b"POST /axis/v1/edocs HTTP/1.1",
            b"Host: hub",
            b"Content-Type: application/xml",
            f"Content-Length: {40 * 1024 * 1024}".encode(),
            *credentials,
        ]
    )


async def test_axis_refuses_before_reading_a_large_body(live: HostileHub) -> None:
    """A POST declaring a 40 MB body is answered at once, the body never read: 401 without
    or with forged credentials, 413 when only the signature (over the body) is left to
    check."""
    signed = [f"{k}: {v}".encode() for k, v in live.axis_signed("POST", "/axis/v1/edocs").items()]
    cases = [
        ([], (401, "auth.required")),
        ([b"Authorization: Bearer ax1.x.y"], (401, "axis.invalid_token")),
        ([b"X-Axis-SystemId: nobody", *signed[1:]], (401, "axis.unknown_system")),
        (signed, (413, "limit.body_too_large")),
    ]
    for credentials, expected in cases:
        answer = await live.raw(_declared_40mb(*credentials), b"<partial", timeout=5.0)
        assert (answer.status, answer.code) == expected, (credentials, answer)


async def test_axis_signed_body_over_the_xml_limit_is_413(live: HostileHub) -> None:
    """A correctly signed axis request whose body is over the hub's XML limit is 413."""
    limit = live.hub.config.hub.max_xml_bytes
    body = b"<x>" + b"a" * limit + b"</x>"
    headers = {**live.axis_signed("POST", "/axis/v1/edocs", body), "Content-Type": "text/xml"}
    answer = await live.request("POST", "/axis/v1/edocs", headers=headers, data=io.BytesIO(body))
    assert (answer.status, answer.code) == (413, "limit.body_too_large"), answer


async def test_axis_token_limits_wrong_secrets(live: HostileHub) -> None:
    """Ten wrong client secrets are 401 axis.invalid_client; the next attempt, even with the
    right secret, is 429 limit.auth_failures with a Retry-After."""
    form = {"grant_type": "client_credentials", "client_id": AXIS_SYSTEM}
    for _ in range(10):
        answer = await live.request(
            "POST", "/axis/oauth/token", data={**form, "client_secret": "wrong"}
        )
        assert (answer.status, answer.code) == (401, "axis.invalid_client"), answer
    for secret in ("wrong", live.axis_secret):
        answer = await live.request(
            "POST", "/axis/oauth/token", data={**form, "client_secret": secret}
        )
        assert (answer.status, answer.code) == (429, "limit.auth_failures"), answer
        assert int(answer.headers["retry-after"]) >= 1


async def test_concurrent_refusals_leave_no_blob(live: HostileHub) -> None:
    """Twenty refused uploads of the same new bytes at once leave no blob behind."""
    before = await live.snapshot()
    meta = {"to": ["999.99.99.H99"], "subject": "x"}

    async def one() -> int:
        form = _form(meta, [("a.pdf", b"the same new bytes")])
        answer = await live.request("POST", "/api/v1/messages", headers=live.auth(A), data=form)
        return answer.status

    assert set(await asyncio.gather(*(one() for _ in range(20)))) == {422}
    assert await live.snapshot() == before
