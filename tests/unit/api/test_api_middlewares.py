"""Error, request-id and body-limit middlewares on a small app (no hub needed)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from structlog.testing import capture_logs

from gateway.api.errors import error_middleware, request_id_middleware
from gateway.api.limits import MAX_BODY, body_limit_middleware
from gateway.errors import BusUnavailable, NotFoundError, RequestError


async def _typed(request: web.Request) -> web.Response:
    raise NotFoundError("no message x", code="message.not_found", message_id="x")


async def _boom(request: web.Request) -> web.Response:
    raise RuntimeError("secret internals /etc/passwd")


async def _bus(request: web.Request) -> web.Response:
    raise BusUnavailable("rabbit is down")


async def _echo(request: web.Request) -> web.Response:
    return web.Response(body=await request.read())


async def _invalid(request: web.Request) -> web.Response:
    raise RequestError("nope", code="request.bad_parameter")


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    app = web.Application(
        middlewares=[request_id_middleware, error_middleware, body_limit_middleware],
        client_max_size=100,
    )
    app[MAX_BODY] = 100
    app.router.add_get("/typed", _typed)
    app.router.add_get("/boom", _boom)
    app.router.add_get("/bus", _bus)
    app.router.add_get("/invalid", _invalid)
    app.router.add_post("/echo", _echo)
    async with TestClient(TestServer(app)) as c:
        yield c


async def test_typed_error_is_json_with_its_status(client: TestClient) -> None:
    """A GatewayError becomes its http_status and {"error": {"code", "message"}}."""
    resp = await client.get("/typed")
    assert resp.status == 404
    body = await resp.json()
    assert body["error"]["code"] == "message.not_found"
    assert body["error"]["message"] == "no message x"


async def test_unknown_exception_is_500_without_traceback(client: TestClient) -> None:
    """An unexpected exception is 500 gateway.error; the details only go to the log."""
    with capture_logs() as logs:
        resp = await client.get("/boom", headers={"X-Request-Id": "req-123"})
    text = await resp.text()
    assert resp.status == 500
    assert (await resp.json())["error"]["code"] == "gateway.error"
    assert "Traceback" not in text and "secret" not in text and "RuntimeError" not in text
    event = next(e for e in logs if e["event"] == "api.unexpected_error")
    assert event["log_level"] == "error" and event.get("exc_info")


async def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    """A well-formed X-Request-Id is echoed; a hostile one is replaced by a fresh id."""
    resp = await client.get("/typed", headers={"X-Request-Id": "abc-1"})
    assert resp.headers["X-Request-Id"] == "abc-1"
    resp = await client.get("/typed", headers={"X-Request-Id": "x" * 500})
    made = resp.headers["X-Request-Id"]
    assert made != "x" * 500
    assert len(made) == 32
    again = (await client.get("/typed")).headers["X-Request-Id"]
    assert again != made and len(again) == 32


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("DELETE", "/typed", 405, "request.method_not_allowed"),
    ],
)
async def test_router_errors_are_json(
    client: TestClient, method: str, path: str, status: int, code: str
) -> None:
    """Unknown routes and methods answer JSON with a stable code, not HTML."""
    resp = await client.request(method, path)
    assert resp.status == status
    assert resp.content_type == "application/json"
    assert (await resp.json())["error"]["code"] == code
    assert resp.headers.get("X-Request-Id")


async def test_declared_length_over_limit_is_413(client: TestClient) -> None:
    """A Content-Length over the limit is refused before the body is read."""
    resp = await client.post("/echo", data=b"x" * 101)
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "limit.body_too_large"


async def test_chunked_body_over_client_max_size_is_413(client: TestClient) -> None:
    """A chunked body (no Content-Length) over client_max_size is 413 JSON too."""

    async def gen():
        for _ in range(10):
            yield b"y" * 50

    resp = await client.post("/echo", data=gen())
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "limit.body_too_large"


async def test_unavailable_dependency_is_503_with_retry_after(client: TestClient) -> None:
    """BusUnavailable becomes 503 bus.unavailable with a Retry-After hint."""
    resp = await client.get("/bus")
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "5"
    assert (await resp.json())["error"]["code"] == "bus.unavailable"


async def test_request_error_is_400(client: TestClient) -> None:
    """A RequestError is 400 with its code."""
    resp = await client.get("/invalid")
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "request.bad_parameter"
