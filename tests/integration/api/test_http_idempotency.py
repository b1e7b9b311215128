"""Issue 21 item 13: ``Idempotency-Key`` on ``POST /api/v1/messages``, over HTTP.

A client that lost the answer sends the same request again with the same key: the same
message and the same answer (status and body), whichever multipart boundary it used; the
key with another request is 422 ``request.idempotency_conflict``. Both stacks (the
``world`` fixture: a started hub behind a real HTTP server); multipart and signed
envelopes; ``lienthong send`` as a real process, through a proxy that loses an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import update

from gateway.store.models import IdempotencyKeyRow, utcnow
from tests.support.api_world import A, B, C, World

LIENTHONG = str(Path(sys.executable).with_name("lienthong"))
Answer = tuple[int, bytes, "dict[str, str]"]


def form(subject: str, to: str = B, content: bytes = b"noi dung") -> aiohttp.FormData:
    """A fresh multipart body (aiohttp picks a new boundary for each)."""
    data = aiohttp.FormData()
    metadata = json.dumps({"to": [to], "subject": subject})
    data.add_field("metadata", metadata, content_type="application/json")
    data.add_field("file", content, filename="van-ban.txt", content_type="text/plain")
    return data


async def post(world: World, unit: str, data: object, key: str | None, xml: bool = False) -> Answer:
    """POST /api/v1/messages as ``unit``: status, raw body, headers."""
    headers = world.auth(unit)
    if key is not None:
        headers["Idempotency-Key"] = key
    if xml:
        headers["Content-Type"] = "application/xml"
    resp = await world.client.post("/api/v1/messages", data=data, headers=headers)
    return resp.status, await resp.read(), dict(resp.headers)


async def subjects(world: World, unit: str) -> list[str]:
    """The subjects of the documents in ``unit``'s mailbox (after the bus settles), sorted."""
    found: list[str] = []
    for _ in range(10):
        resp = await world.client.get(
            "/api/v1/mailbox?wait=0.5&limit=100", headers=world.auth(unit)
        )
        items = (await resp.json())["items"]
        now = sorted(i["subject"] for i in items if i["kind"] == "document")
        if now == found and found:
            break
        found = now
    return found


async def test_multipart_retry_gets_the_first_answer_and_one_message(world: World) -> None:
    """Same key, same request (another boundary): the first answer byte for byte, marked
    ``Idempotent-Replayed``, one document. The key with another subject, recipient or
    file: 422 ``request.idempotency_conflict``, nothing sent. Another sender's same key
    is its own message. A refused request (unknown recipient) keeps no answer, so its key
    then serves the corrected request."""
    first = await post(world, A, form("một lần thôi"), "key-1")
    again = await post(world, A, form("một lần thôi"), "key-1")
    assert first[0] == 202, first[1]
    assert (again[0], again[1]) == (first[0], first[1])
    assert again[2].get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first[2]
    for other in (form("khác"), form("một lần thôi", to=C), form("một lần thôi", content=b"x")):
        status, body, _ = await post(world, A, other, "key-1")
        assert status == 422, body
        assert json.loads(body)["error"]["code"] == "request.idempotency_conflict"
    theirs = await post(world, C, form("của C"), "key-1")
    assert theirs[0] == 202 and json.loads(theirs[1])["id"] != json.loads(first[1])["id"]
    status, body, _ = await post(world, A, form("sai", to="000.00.09.H99"), "key-2")
    assert status == 422, body
    assert (await post(world, A, form("đúng"), "key-2"))[0] == 202
    assert (await post(world, A, form("đúng"), "key-2"))[2].get("Idempotent-Replayed")
    assert await subjects(world, B) == ["của C", "một lần thôi", "đúng"]
    assert await subjects(world, C) == []


async def test_concurrent_requests_with_one_key_send_once(world: World) -> None:
    """Five identical requests at once: one runs; the others get its answer or 409
    ``request.idempotency_in_progress`` with Retry-After; one document arrives."""
    answers = await asyncio.gather(*(post(world, A, form("cùng lúc"), "key-c") for _ in range(5)))
    accepted = {body for status, body, _ in answers if status == 202}
    assert len(accepted) == 1, answers
    for status, body, headers in answers:
        if status != 202:
            assert status == 409, body
            assert json.loads(body)["error"]["code"] == "request.idempotency_in_progress"
            assert headers.get("Retry-After")
    assert await subjects(world, B) == ["cùng lúc"]


async def test_a_retry_after_a_lost_reservation_finds_the_message(world: World) -> None:
    """The hub died after accepting but before storing the answer (the reservation is left
    unanswered and grows stale): the retry runs again, and finds the same message (its id
    follows from unit, key and request) instead of sending it twice."""
    first = await post(world, A, form("chỉ một bản"), "key-lost")
    assert first[0] == 202, first[1]
    async with world.hub.db.session(write=True) as session:
        await session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.key == "key-lost")
            .values(status=None, body=None, created_at=utcnow() - timedelta(seconds=3600))
        )
    again = await post(world, A, form("chỉ một bản"), "key-lost")
    assert again[0] == 202, again[1]
    assert json.loads(again[1])["id"] == json.loads(first[1])["id"]
    assert json.loads(again[1])["created"] is False
    assert await subjects(world, B) == ["chỉ một bản"]


async def test_signed_envelope_retry_gets_the_same_answer(world: World) -> None:
    """A signed envelope posted twice with its key: one answer, replayed; the same key with
    another envelope: 422."""
    _mid, xml = await world.signed_xml(A)
    _other_id, other = await world.signed_xml(A)
    first = await post(world, A, xml, "env-1", xml=True)
    again = await post(world, A, xml, "env-1", xml=True)
    assert first[0] == 202, first[1]
    assert (again[0], again[1]) == (first[0], first[1])
    assert again[2].get("Idempotent-Replayed") == "true"
    status, body, _ = await post(world, A, other, "env-1", xml=True)
    assert status == 422 and b"request.idempotency_conflict" in body


@pytest.mark.parametrize("key", ["has space", "", "x" * 201, "kh\xf3a", "tab\there"])
async def test_a_malformed_key_is_refused(world: World, key: str) -> None:
    """A key that is not 1-200 visible ASCII characters: 400 ``request.bad_header``."""
    status, body, _ = await post(world, A, form("khóa sai"), key)
    assert status == 400, body
    assert json.loads(body)["error"]["code"] in ("request.bad_header",)


class AnswerLosingProxy:
    """Forwards to the hub, but closes the first connection as the hub's answer arrives:
    the request was handled, its answer never reaches the client."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        lose = self.connections == 1
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, back: bool) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    if back and lose:
                        break  # the answer is lost: drop the client's connection
                    dst.write(data)
                    await dst.drain()
            for w in (writer, up_writer):
                w.close()

        await asyncio.gather(pump(reader, up_writer, False), pump(up_reader, writer, True))


@pytest.fixture
async def losing_proxy(world: World) -> AsyncIterator[AnswerLosingProxy]:
    """An :class:`AnswerLosingProxy` in front of the world's hub."""
    url = world.client.make_url("/")
    proxy = AnswerLosingProxy((url.host or "127.0.0.1", url.port or 80))
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


async def cli_send(world: World, url: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """``lienthong send --to B ARGS FILE`` as A, against ``url``: exit code, stdout, stderr."""
    doc = tmp_path / "cong-van.txt"
    doc.write_bytes(b"van ban gui bang lenh")
    env = {
        **os.environ,
        "LIENTHONG_URL": url,
        "LIENTHONG_TOKEN": world.tokens[A],
        "LIENTHONG_HOME": str(tmp_path / "client-home"),
    }
    proc = await asyncio.create_subprocess_exec(
        LIENTHONG, "send", "--to", B, *args, str(doc), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_send_retries_a_lost_answer_once(
    world: World, losing_proxy: AnswerLosingProxy, tmp_path: Path
) -> None:
    """``lienthong send`` whose first answer is lost retries with its key: it prints the
    message id, and B has one document."""
    url = f"http://127.0.0.1:{losing_proxy.port}/"
    code, out, err = await cli_send(world, url, tmp_path, "--subject", "mất câu trả lời")
    assert code == 0, err
    assert losing_proxy.connections >= 2
    assert await subjects(world, B) == ["mất câu trả lời"]
    status = await world.client.get(f"/api/v1/messages/{out.strip()}/status", headers=world.auth(A))
    assert status.status == 200


async def test_cli_send_with_a_given_key_sends_once(world: World, tmp_path: Path) -> None:
    """``send --idempotency-key K`` twice: the same message id, one document; a refusal
    prints the key to retry with."""
    url = str(world.client.make_url("/"))
    given = ("--subject", "khóa cho sẵn", "--idempotency-key", "cli-key-1")
    first = await cli_send(world, url, tmp_path, *given)
    second = await cli_send(world, url, tmp_path, *given)
    assert first[0] == second[0] == 0, (first[2], second[2])
    assert first[1] == second[1]
    assert await subjects(world, B) == ["khóa cho sẵn"]
    code, _out, err = await cli_send(
        world, url, tmp_path, "--subject", "khác", "--idempotency-key", "cli-key-1"
    )
    assert code != 0
    assert "request.idempotency_conflict" in err and "--idempotency-key cli-key-1" in err
