"""The axis API refuses bad credentials and bad requests with stable codes, changing nothing."""

from __future__ import annotations

import time

import aiohttp
import pytest

from tests.standins.office import OfficeError, OfficeFile, _now_vn, document_edxml
from tests.support.axis_world import A, AxisWorld, B


@pytest.fixture
def backends(sqlite_url: str) -> tuple[str, str]:
    """Refusals do not depend on the backend: the embedded one is enough."""
    return sqlite_url, "local://"


async def _code(resp: aiohttp.ClientResponse) -> tuple[int, str]:
    return resp.status, (await resp.json())["error"]["code"]


async def test_unsigned_request_is_refused(axis_world: AxisWorld) -> None:
    """No credentials at all → 401 auth.required."""
    async with aiohttp.ClientSession() as s, s.get(f"{axis_world.url}/axis/v1/edocs") as resp:
        assert await _code(resp) == (401, "auth.required")


async def test_wrong_secret_unknown_system_and_stale_timestamp_are_refused(
    axis_world: AxisWorld,
) -> None:
    """A bad signature, an unknown system id and an old timestamp each get their code."""
    office = axis_world.offices[A]
    office.secret = "x" * 43
    with pytest.raises(OfficeError) as bad:
        await office.pending()
    assert (bad.value.status, bad.value.code) == (401, "axis.bad_signature")
    office.system_id = "nobody"
    with pytest.raises(OfficeError) as unknown:
        await office.pending()
    assert unknown.value.code == "axis.unknown_system"
    office.system_id, office.secret = "office-a", axis_world.secrets[A]
    real = time.time
    try:
        time.time = lambda: real() - 3600  # the office's clock is an hour late
        with pytest.raises(OfficeError) as stale:
            await office.pending()
    finally:
        time.time = real
    assert stale.value.code == "axis.timestamp_out_of_window"


async def test_a_signed_request_cannot_be_replayed(axis_world: AxisWorld) -> None:
    """The same signed headers sent twice: the second is 401 axis.replayed."""
    office = axis_world.offices[A]
    headers = office._sign("GET", "/axis/v1/edocs", b"")
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{axis_world.url}/axis/v1/edocs", headers=headers) as first:
            assert first.status == 200
        async with s.get(f"{axis_world.url}/axis/v1/edocs", headers=headers) as second:
            assert await _code(second) == (401, "axis.replayed")


async def test_oauth_client_credentials_token_works_and_bad_secret_does_not(
    axis_world: AxisWorld,
) -> None:
    """client_credentials gives a bearer token that works; a wrong secret is invalid_client."""
    office = axis_world.offices[A]
    await office.login_oauth()
    assert await office.pending() == []
    form = {"grant_type": "client_credentials", "client_id": "office-a", "client_secret": "no"}
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{axis_world.url}/axis/oauth/token", data=form) as resp:
            assert await _code(resp) == (401, "axis.invalid_client")
        form["grant_type"] = "password"
        async with s.post(f"{axis_world.url}/axis/oauth/token", data=form) as resp:
            assert await _code(resp) == (400, "axis.unsupported_grant_type")
        bad = {"Authorization": f"Bearer {office.bearer}x"}
        async with s.get(f"{axis_world.url}/axis/v1/edocs", headers=bad) as resp:
            assert await _code(resp) == (401, "axis.invalid_token")


async def test_office_cannot_send_as_another_unit(axis_world: AxisWorld) -> None:
    """Office A writing From = B is 403 axis.sender_not_allowed and nothing reaches anyone."""
    office = axis_world.offices[A]
    office.unit = B
    with pytest.raises(OfficeError) as refused:
        await office.send_document([A], "Giả mạo", [])
    assert (refused.value.status, refused.value.code) == (403, "axis.sender_not_allowed")
    assert await axis_world.offices[A].pending() == []


async def test_resending_a_document_creates_nothing_new(axis_world: AxisWorld) -> None:
    """The same edXML document sent twice: one message, the second answer created=false."""
    office = axis_world.offices[A]
    office.new_document_id = lambda number: f"{A},2026/01/05,{number}/VP"  # type: ignore[method-assign]
    files = [OfficeFile("a.txt", "text/plain", b"abc")]
    _, first = await office.send_document([B], "Gửi lại", files)
    _, second = await office.send_document([B], "Gửi lại", files)
    assert first["docId"] == second["docId"]
    assert (first["created"], second["created"]) == (True, False)


async def test_messagetype_must_match_the_body_and_content_type_must_be_xml(
    axis_world: AxisWorld,
) -> None:
    """A document labelled status is 422; a JSON body is 415."""
    office = axis_world.offices[A]

    body = document_edxml(
        sender=A, sender_name="A", to=[B], document_id=f"{A},x,1/VP",
        subject="S", number="1", notation="VP", files=[], at=_now_vn(),
    )  # fmt: skip
    status, _, data = await office.call(
        "POST", "/axis/v1/edocs", body,
        {"Content-Type": "application/xml", "X-Axis-MessageType": "status"},
    )  # fmt: skip
    assert (status, b"axis.bad_message_type" in data) == (422, True)
    status, _, data = await office.call(
        "POST", "/axis/v1/edocs", b"{}", {"Content-Type": "application/json"}
    )
    assert (status, b"request.unsupported_media_type" in data) == (415, True)


async def test_another_units_item_is_not_found(axis_world: AxisWorld) -> None:
    """B cannot get or confirm an item of A's mailbox: 404 mailbox.item_not_found."""
    _, _ = await axis_world.offices[B].send_document([A], "Cho A", [])
    entries = await axis_world.offices[A].pending(wait=5)
    assert entries
    status, _, data = await axis_world.offices[B].call(
        "GET", f"/axis/v1/edocs/{entries[0]['docId']}"
    )
    assert (status, b"mailbox.item_not_found" in data) == (404, True)
    assert len(await axis_world.offices[A].pending()) == 1
