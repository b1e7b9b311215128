"""Body size (413) and rate (429) limits on a hub with small limits."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.support.api_world import A, B, C, World

SMALL = {"max_body_bytes": 64 * 1024, "rate_per_minute": 5}
pytestmark = pytest.mark.parametrize("hub_overrides", [SMALL])


def _form(size: int) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field(
        "metadata", json.dumps({"to": [B], "subject": "big"}), content_type="application/json"
    )
    form.add_field("file", b"x" * size, filename="big.bin", content_type="application/octet-stream")
    return form


async def test_body_over_the_limit_is_413_and_stores_nothing(world: World) -> None:
    """A multipart upload over max_body_bytes is 413 limit.body_too_large; no message is made."""
    resp = await world.client.post(
        "/api/v1/messages", data=_form(200 * 1024), headers=world.auth(A)
    )
    assert resp.status == 413
    body = await resp.json()
    assert body["error"]["code"] == "limit.body_too_large"
    assert await world.mailbox(B, wait=0) == []


async def test_chunked_upload_over_the_limit_is_413(world: World) -> None:
    """Without a Content-Length the streamed parts are counted and cut at the limit."""

    async def gen():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'
        for _ in range(40):
            yield b"y" * 4096
        yield b"\r\n--b--\r\n"

    headers = {**world.auth(A), "Content-Type": "multipart/form-data; boundary=b"}
    resp = await world.client.post("/api/v1/messages", data=gen(), headers=headers)
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "limit.body_too_large"


async def test_rate_limit_is_per_unit_with_retry_after(world: World) -> None:
    """The 6th request in a minute from one unit is 429 limit.rate; another unit still passes."""
    statuses = []
    for _ in range(6):
        resp = await world.client.get("/api/v1/mailbox", headers=world.auth(C))
        statuses.append(resp.status)
    assert statuses == [200] * 5 + [429]
    assert int(resp.headers["Retry-After"]) >= 1
    assert (await resp.json())["error"]["code"] == "limit.rate"
    assert (await world.client.get("/api/v1/mailbox", headers=world.auth(B))).status == 200


async def test_errors_never_carry_a_traceback(world: World) -> None:
    """Malformed XML, bad JSON and bad parameters answer typed JSON, never a traceback."""
    cases = [
        (
            "POST",
            "/api/v1/messages",
            {"data": b"<a><b></a>", "headers": {"Content-Type": "application/xml"}},
        ),
        (
            "POST",
            "/api/v1/messages",
            {
                "data": b"<!DOCTYPE x [<!ENTITY e 'x'>]><x>&e;</x>",
                "headers": {"Content-Type": "application/xml"},
            },
        ),
        ("GET", "/api/v1/mailbox?wait=abc", {}),
        (
            "POST",
            "/api/v1/messages",
            {"data": b"--b--", "headers": {"Content-Type": "multipart/form-data; boundary=b"}},
        ),
    ]
    for method, path, kwargs in cases:
        headers = {**world.auth(A), **kwargs.pop("headers", {})}
        resp = await world.client.request(method, path, headers=headers, **kwargs)
        text = await resp.text()
        assert 400 <= resp.status < 500, (path, resp.status, text)
        assert "Traceback" not in text and 'File "' not in text
        assert (await resp.json())["error"]["code"].split(".")[0] in ("xml", "request", "envelope")
