"""Hostile input over HTTP against a running hub: every case is a typed 4xx with its stable
code, never a 500, and changes nothing (no message, receipt, mailbox item or blob).

Issue 21, "Server errors (500) instead of a typed 4xx": headers that are not text, numbers
and dates at their edges, nested JSON, control characters, broken multipart bodies, and
secrets compared as text.
"""

from __future__ import annotations

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
    b64,
    hostile_hub,
)

#: ~60 KB of nested JSON: Python's decoder alone raises RecursionError on it.
NESTED = "[" * 30_000 + "]" * 30_000


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


async def refused(live: HostileHub, status: int, code: str, call: object) -> None:
    """Await ``call`` (an Answer coroutine); assert ``status`` + ``code`` and no change."""
    before = await live.snapshot()
    answer = await call  # type: ignore[misc]
    assert (answer.status, answer.code) == (status, code), answer
    assert await live.snapshot() == before


def _head(method: str, path: str, *headers: bytes) -> bytes:
    return b"\r\n".join([f"{method} {path} HTTP/1.1".encode(), b"Host: hub", *headers])


# -- headers and secrets -------------------------------------------------------------------


async def test_bearer_token_with_invalid_utf8_is_400(live: HostileHub) -> None:
    """A bearer token with bytes that are not UTF-8 is 400 request.bad_header."""
    head = _head("GET", "/api/v1/mailbox", b"Authorization: Bearer \xff\xfe\xfdabc")
    await refused(live, 400, "request.bad_header", live.raw(head))


async def test_bearer_token_with_non_ascii_is_400(live: HostileHub) -> None:
    """A bearer token of valid UTF-8 but not ASCII is 400 request.bad_header."""
    head = _head("GET", "/api/v1/mailbox", "Authorization: Bearer tôken".encode())
    await refused(live, 400, "request.bad_header", live.raw(head))


@pytest.mark.parametrize("stamp", ["²", "9" * 5000, "１２３"])
async def test_axis_timestamp_not_ascii_digits_is_401(live: HostileHub, stamp: str) -> None:
    """X-Axis-Timestamp of a superscript digit, 5,000 digits or full-width digits is 401
    axis.timestamp_out_of_window (int() accepts the first and third)."""
    headers = live.axis_signed("GET", "/axis/v1/edocs")
    head = _head(
        "GET",
        "/axis/v1/edocs",
        *(f"{k}: {v}".encode() for k, v in headers.items() if k != "X-Axis-Timestamp"),
        f"X-Axis-Timestamp: {stamp}".encode(),
    )
    code = "axis.timestamp_out_of_window" if stamp.isascii() else "request.bad_header"
    await refused(live, 401 if stamp.isascii() else 400, code, live.raw(head))


@pytest.mark.parametrize("signature", ["é" * 64, "\udcff" * 64])
async def test_axis_signature_not_ascii_is_400(live: HostileHub, signature: str) -> None:
    """A non-ASCII or non-UTF-8 X-Axis-Signature is 400 request.bad_header."""
    headers = live.axis_signed("GET", "/axis/v1/edocs")
    head = _head(
        "GET",
        "/axis/v1/edocs",
        *(f"{k}: {v}".encode() for k, v in headers.items() if k != "X-Axis-Signature"),
        b"X-Axis-Signature: " + signature.encode("utf-8", "surrogateescape"),
    )
    await refused(live, 400, "request.bad_header", live.raw(head))


async def test_axis_signature_wrong_is_401(live: HostileHub) -> None:
    """An ASCII signature that does not match is 401 axis.bad_signature (compared as bytes)."""
    headers = {**live.axis_signed("GET", "/axis/v1/edocs"), "X-Axis-Signature": "0" * 64}
    await refused(
        live, 401, "axis.bad_signature", live.request("GET", "/axis/v1/edocs", headers=headers)
    )


@pytest.mark.parametrize(
    "mac", ["é", "\udcff", None], ids=["non-ascii", "invalid-utf8", "nested-payload"]
)
async def test_axis_bearer_forged_is_refused(live: HostileHub, mac: str | None) -> None:
    """An ax1 token with a non-ASCII MAC is 400 request.bad_header; one whose payload is
    deeply nested JSON is 401 axis.invalid_token."""
    if mac is None:
        token = "ax1." + _b64raw(("[" * 2000 + "]" * 2000).encode()) + ".AAAA"
        expected = (401, "axis.invalid_token")
    else:
        token = "ax1." + b64({"sub": AXIS_SYSTEM, "exp": 2**40, "jti": "x"}) + "." + mac * 43
        expected = (400, "request.bad_header")
    head = _head(
        "GET",
        "/axis/v1/edocs",
        b"Authorization: Bearer " + token.encode("utf-8", "surrogateescape"),
    )
    await refused(live, *expected, live.raw(head))


def _b64raw(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).decode().rstrip("=")


async def test_console_cookie_with_non_ascii_mac_is_not_a_session(live: HostileHub) -> None:
    """A console cookie whose MAC is not ASCII is no session: the console asks to log in."""
    cookie = b64(["ops"]) + "." + "é" * 64
    head = _head("GET", "/console", f"Cookie: lienthong_console={cookie}".encode())
    before = await live.snapshot()
    answer = await live.raw(head)
    assert answer.status == 303 and answer.headers["location"] == "/console/login"
    assert await live.snapshot() == before


async def test_console_csrf_field_with_non_ascii_is_403(live: HostileHub) -> None:
    """A logged-in POST whose CSRF field is not ASCII is 403 auth.csrf, not a 500."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[live.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        login = {"token": live.tokens["operator"]}
        async with client.post(f"{live.url}/console/login", data=login) as resp:
            assert resp.status == 200, await resp.text()
        async with client.post(
            f"{live.url}/console/logout", data={"csrf": "é" * 32}, allow_redirects=False
        ) as resp:
            assert resp.status == 403


# -- multipart -----------------------------------------------------------------------------


def _multipart(boundary: bytes, *parts: bytes) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary + b"--\r\n"


_META = (
    b'Content-Disposition: form-data; name="metadata"\r\n\r\n'
    + json.dumps({"to": [B], "subject": "x"}).encode()
)


def _file_part(name: bytes, content: bytes = b"data") -> bytes:
    return (
        b'Content-Disposition: form-data; name="file"; filename="'
        + name
        + b'"\r\nContent-Type: application/pdf\r\n\r\n'
        + content
    )


async def _post_multipart(live: HostileHub, content_type: bytes, body: bytes) -> object:
    head = _head(
        "POST",
        "/api/v1/messages",
        f"Authorization: Bearer {live.tokens[A]}".encode(),
        b"Content-Type: " + content_type,
        f"Content-Length: {len(body)}".encode(),
    )
    return await live.raw(head, body)


@pytest.mark.parametrize(
    "content_type",
    [
        b"multipart/form-data",
        b"multipart/form-data; boundary=other",
        b"multipart/form-data; boundary=" + b"b" * 80,
    ],
    ids=["no-boundary", "wrong-boundary", "boundary-too-long"],
)
async def test_multipart_boundary_missing_or_wrong_is_400(
    live: HostileHub, content_type: bytes
) -> None:
    """A multipart body without a boundary, with another one, or with one over 70
    characters is 400 request.bad_multipart."""
    body = _multipart(b"real", _META, _file_part(b"a.pdf"))
    await refused(live, 400, "request.bad_multipart", _post_multipart(live, content_type, body))


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (b"a\x00b.pdf", "request.bad_multipart"),
        (b"a\x01\x1fb.pdf", "request.bad_multipart"),
        (b"a\xff.pdf", "request.bad_text"),
    ],
)
async def test_control_bytes_in_a_part_header_are_400(
    live: HostileHub, name: bytes, code: str
) -> None:
    """NUL or other control bytes in a part header are 400 request.bad_multipart; a file
    name that is not UTF-8 is 400 request.bad_text; no blob is left behind (the bad part
    comes after a stored one)."""
    body = _multipart(b"bnd", _META, _file_part(b"first.pdf", b"stored first"), _file_part(name))
    call = _post_multipart(live, b"multipart/form-data; boundary=bnd", body)
    await refused(live, 400, code, call)


async def test_nul_in_a_part_header_name_is_400(live: HostileHub) -> None:
    """A NUL inside a part's header name is 400 request.bad_multipart."""
    part = b'Content-Disp\x00osition: form-data; name="metadata"\r\n\r\n{}'
    call = _post_multipart(live, b"multipart/form-data; boundary=bnd", _multipart(b"bnd", part))
    await refused(live, 400, "request.bad_multipart", call)


async def test_second_metadata_part_is_400(live: HostileHub) -> None:
    """Exactly one metadata part: a second one is 400 request.invalid."""
    body = _multipart(b"bnd", _META, _META, _file_part(b"a.pdf"))
    call = _post_multipart(live, b"multipart/form-data; boundary=bnd", body)
    await refused(live, 400, "request.invalid", call)


# -- JSON, numbers, text -------------------------------------------------------------------


async def test_nested_json_in_receipt_and_ack_is_400(live: HostileHub) -> None:
    """~60 KB of nested JSON in a receipt or a mailbox ack is 400 request.bad_json."""
    message_id = await live.send()
    assert await live.pending(B)
    headers = {**live.auth(B), "Content-Type": "application/json"}
    for path in (f"/api/v1/messages/{message_id}/receipts", "/api/v1/mailbox/ack"):
        call = live.request("POST", path, headers=headers, data=NESTED)
        await refused(live, 400, "request.bad_json", call)
        wrapped = json.dumps({"status": "01", "item_ids": [1]})[:-1] + ', "x": ' + NESTED + "}"
        call = live.request("POST", path, headers=headers, data=wrapped)
        await refused(live, 400, "request.bad_json", call)


@pytest.mark.parametrize("reason", ["a\\u0000b", "a\\udfffb"])
async def test_receipt_reason_with_control_or_surrogate_is_400(
    live: HostileHub, reason: str
) -> None:
    """A receipt or recall reason holding NUL or a lone surrogate is 400 request.bad_text."""
    message_id = await live.send()
    assert await live.pending(B)
    for who, path, status in (
        (B, f"/api/v1/messages/{message_id}/receipts", '"status": "02", '),
        (A, f"/api/v1/messages/{message_id}/recall", ""),
    ):
        body = f'{{{status}"reason": "{reason}"}}'
        headers = {**live.auth(who), "Content-Type": "application/json"}
        call = live.request("POST", path, headers=headers, data=body)
        await refused(live, 400, "request.bad_text", call)


async def test_nested_json_in_metadata_is_400(live: HostileHub) -> None:
    """Nested JSON in the multipart metadata is 400 request.bad_json; no blob is left."""
    meta = b'Content-Disposition: form-data; name="metadata"\r\n\r\n' + NESTED.encode()
    body = _multipart(b"bnd", _file_part(b"a.pdf", b"nested-meta"), meta)
    call = _post_multipart(live, b"multipart/form-data; boundary=bnd", body)
    await refused(live, 400, "request.bad_json", call)


async def test_nested_json_in_axis_update_status_is_400(live: HostileHub) -> None:
    """Nested JSON in axis updateStatus is 400 request.bad_json."""
    path = "/axis/v1/edocs/whatever/status"
    body = NESTED.encode()
    headers = {**live.axis_signed("POST", path, body), "Content-Type": "application/json"}
    await refused(
        live, 400, "request.bad_json", live.request("POST", path, headers=headers, data=body)
    )


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1e300", "request.invalid"),
        ("1e400", "request.invalid"),
        ("-5", "request.invalid"),
        ("NaN", "request.bad_json"),
        ("Infinity", "request.bad_json"),
        ("-Infinity", "request.bad_json"),
    ],
)
async def test_expires_in_out_of_bounds_is_400(live: HostileHub, raw: str, code: str) -> None:
    """``expires_in`` of 1e300, 1e400, a negative number, NaN or ±Infinity is a typed 400."""
    meta = (
        b'Content-Disposition: form-data; name="metadata"\r\n\r\n'
        + f'{{"to": ["{B}"], "subject": "x", "expires_in": {raw}}}'.encode()
    )
    body = _multipart(b"bnd", meta, _file_part(b"a.pdf", b"expires"))
    call = _post_multipart(live, b"multipart/form-data; boundary=bnd", body)
    await refused(live, 400, code, call)


@pytest.mark.parametrize("subject", ["a\\u0000b", "a\\u001bb", "a\\ud800b", "a\\uffffb"])
async def test_subject_with_control_or_lone_surrogate_is_400(
    live: HostileHub, subject: str
) -> None:
    """A subject holding a C0 control character, a lone surrogate or U+FFFF is 400
    request.bad_text."""
    meta = (
        b'Content-Disposition: form-data; name="metadata"\r\n\r\n'
        + f'{{"to": ["{B}"], "subject": "{subject}"}}'.encode()
    )
    body = _multipart(b"bnd", meta, _file_part(b"a.pdf", b"subject"))
    call = _post_multipart(live, b"multipart/form-data; boundary=bnd", body)
    await refused(live, 400, "request.bad_text", call)


# -- dates at the edges of the range -------------------------------------------------------

EDGES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01",
    "9999-12-31T23:59:59.999999-14:00",
    "9999-12-31",
]


@pytest.mark.parametrize("edge", EDGES)
async def test_dates_at_the_edges_are_answered(live: HostileHub, edge: str) -> None:
    """``since``/``until`` at the ends of the date range are clamped: the API search, its
    CSV export and a cursor at that time answer 200, never 500."""
    await live.send()
    ops = live.auth("operator")
    for query in (
        {"since": edge},
        {"until": edge},
        {"since": edge, "until": edge, "format": "csv"},
        {"cursor": b64([edge, "00000000-0000-0000-0000-000000000000"])},
    ):
        answer = await live.request("GET", "/api/v1/messages?" + _qs(query), headers=ops)
        assert answer.status == 200, (query, answer)


@pytest.mark.parametrize("edge", EDGES)
async def test_console_search_dates_at_the_edges(live: HostileHub, edge: str) -> None:
    """The console's search and CSV export take the same edge dates without a 500."""
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[live.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        login = {"token": live.tokens["operator"]}
        async with client.post(f"{live.url}/console/login", data=login) as resp:
            assert resp.status == 200
        for path in ("/console/messages", "/console/messages.csv"):
            url = f"{live.url}{path}?{_qs({'since': edge, 'until': edge})}"
            async with client.get(url) as resp:
                assert resp.status in (200, 404), (path, resp.status)


async def test_nul_in_a_search_parameter_is_400(live: HostileHub) -> None:
    """A NUL in the search text is 400 request.bad_text (PostgreSQL cannot hold it)."""
    call = live.request("GET", "/api/v1/messages?q=a%00b", headers=live.auth("operator"))
    await refused(live, 400, "request.bad_text", call)


def _qs(query: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


# -- the catch-all -------------------------------------------------------------------------


async def test_console_login_without_a_boundary_is_400_malformed(live: HostileHub) -> None:
    """A parsing failure in a form no route checks itself (console login, multipart without
    a boundary) is 400 request.malformed, not a 500."""
    head = _head(
        "POST",
        "/console/login",
        b"Content-Type: multipart/form-data",
        b"Content-Length: 4",
    )
    await refused(live, 400, "request.malformed", live.raw(head, b"abcd"))


async def test_axis_token_form_without_a_boundary_is_400(live: HostileHub) -> None:
    """The axis token endpoint with a broken multipart form is 400 request.malformed."""
    head = _head(
        "POST", "/axis/oauth/token", b"Content-Type: multipart/form-data", b"Content-Length: 4"
    )
    await refused(live, 400, "request.malformed", live.raw(head, b"abcd"))
