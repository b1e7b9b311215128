"""/vxp refuses bad credentials and hostile requests with a 4xx, the SDK's answer shape and
the hub's stable code in ErrorDesc, storing nothing."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway.directory.principal import Principal
from tests.support.axis_world import PROV, A, B
from tests.support.vxp_world import MAX_BODY, VxpWorld, edoc, refused, vxp_world

UNKNOWN = "000.00.99.H99"


@pytest.fixture
async def world(tmp_home: Path, tmp_path: Path, sqlite_url: str) -> AsyncIterator[VxpWorld]:
    """Refusals do not depend on the backend: the embedded one."""
    async with vxp_world(tmp_home, tmp_path, sqlite_url) as w:
        yield w


async def _nothing_stored(world: VxpWorld) -> None:
    page = await world.hub.search(Principal(operator="test"), limit=10)
    assert page["items"] == []


async def test_wrong_secret_and_unknown_system_answer_in_the_sdk_shape(
    world: VxpWorld, tmp_path: Path
) -> None:
    """Wrong HMAC → 401 vxp.bad_signature; unknown systemid → 401 axis.unknown_system;
    sendEdoc's refusal still carries the DocId the SDK reads."""
    wrong = world.sdk("office-a", "y" * 44)
    unknown = world.sdk("nobody", "z" * 44)
    try:
        refused(await wrong.get_received_edoc_list("{}"), 401, "vxp.bad_signature")
        refused(await unknown.count_receive_edoc("{}"), 401, "axis.unknown_system")
        sent = await wrong.send_edoc(json.dumps({"from": A}), edoc(tmp_path))
        refused(sent, 401, "vxp.bad_signature")
        assert sent.data == ""
    finally:
        await wrong.close()
        await unknown.close()
    await _nothing_stored(world)


async def _post(url: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as resp:
        return resp.status, await resp.json()


async def test_unsigned_malformed_and_forged_headers_are_refused(world: VxpWorld) -> None:
    """No signature → 401; a sign-header that is not JSON (or nested 8,000 deep) → 400; a
    header that differs from its signed value → 401 vxp.header_mismatch."""
    url = f"{world.endpoint}/getReceivedEdocList"
    status, body = await _post(url, {})
    assert (status, body["status"]) == (401, "FAIL") and body["ErrorDesc"].startswith(
        "auth.required: "
    )
    status, body = await _post(
        url, {"XroadVnpt-sign-header": "not json", "XroadVnpt-hash-header": "00"}
    )
    assert status == 400 and body["ErrorDesc"].startswith("vxp.bad_sign_header: ")
    deep = {"XroadVnpt-sign-header": "[" * 8000, "XroadVnpt-hash-header": "00"}
    status, body = await _post(url, deep)
    assert status == 400 and body["ErrorDesc"].startswith("vxp.bad_sign_header: ")
    sdk = world.sdk("office-a")
    try:
        sdk.take(json.dumps({"docId": "1@" + A, "messagetype": "edoc"}))
        headers = sdk.wire_headers()
        headers["XroadVnpt-messagetype"] = "status"  # not what was signed
        status, body = await _post(url, headers)
        assert status == 401 and body["ErrorDesc"].startswith("vxp.header_mismatch: ")
    finally:
        await sdk.close()


async def test_hostile_sends_are_refused_and_nothing_is_stored(
    world: VxpWorld, tmp_path: Path
) -> None:
    """`from` not the system's unit, edXML From not `from`, hash-file missing or wrong, an
    unknown recipient, a DTD, a body over the limit: each refused with its code."""
    sdk = world.sdk("office-a")
    try:
        refused(
            await sdk.send_edoc(json.dumps({"from": B}), edoc(tmp_path, sender=B)),
            403,
            "axis.sender_not_allowed",
        )
        refused(
            await sdk.send_edoc(json.dumps({"from": A}), edoc(tmp_path, sender=B)),
            403,
            "axis.sender_not_allowed",
        )
        data = edoc(tmp_path).read_bytes()
        sdk.headers.put("hash-file", "0" * 64)
        refused(await sdk.call("sendEdoc", data + b"\r\n"), 400, "vxp.hash_file_mismatch")
        unknown = await sdk.send_edoc("{}", edoc(tmp_path, to=(UNKNOWN,)))
        refused(unknown, 422, "routing.unknown_recipient")
        dtd = tmp_path / "dtd.edxml"
        dtd.write_bytes(
            data.replace(
                b"<edXML xmlns",
                b'<!DOCTYPE edXML [<!ENTITY x "boom">]><edXML xmlns',
                1,
            )
        )
        refused(await sdk.send_edoc("{}", dtd), 400, "xml.entity")
        big = await sdk.send_edoc("{}", edoc(tmp_path, pad=MAX_BODY))
        refused(big, 413, "limit.body_too_large")
        assert big.data == ""
    finally:
        await sdk.close()
    fresh = world.sdk("office-a")
    try:
        refused(await fresh.call("sendEdoc", data + b"\r\n"), 400, "vxp.hash_file_missing")
    finally:
        await fresh.close()
    await _nothing_stored(world)


async def test_unknown_operation_bad_status_and_unknown_document(world: VxpWorld) -> None:
    """An unknown operation → 404; updateStatus other than done/fail/processing → 400;
    getEdoc without docId → 400, of an item not the caller's → 404."""
    sdk = world.sdk("office-a")
    try:
        refused(await sdk.call("deleteEverything", b""), 404, "vxp.unknown_operation")
        refused(await sdk.get_edoc(json.dumps({"filePath": "xml"})), 400, "vxp.missing_header")
        refused(
            await sdk.update_status(json.dumps({"status": "finished", "docId": "1@" + A})),
            400,
            "axis.bad_transport_status",
        )
        refused(await sdk.get_edoc(json.dumps({"docId": "1@" + B})), 404, "mailbox.item_not_found")
        refused(
            await sdk.get_sent_edoc_list(json.dumps({"docId": "not-a-message"})),
            404,
            "message.not_found",
        )
    finally:
        await sdk.close()


async def test_agencies_registered_only_by_a_peer_below_its_unit(world: VxpWorld) -> None:
    """An office may read the directory but not register; a peer registers below its unit
    (again: the same answer), never elsewhere; deleteAgency is refused."""
    office, peer = world.agency("office-a"), world.agency("peer-p")
    unit = {"id": "", "pcode": PROV, "code": "000.00.09.H01", "name": "Xã mới", "mail": ""}
    try:
        refused(await office.register_agency("{}", json.dumps(unit)), 403, "vxp.agency_forbidden")
        for _ in range(2):
            done = await peer.register_agency("{}", json.dumps(unit))
            assert done.ok, done.answer
        elsewhere = {**unit, "pcode": "000.00.00.G22", "code": "000.00.08.H01"}
        refused(
            await peer.register_agency("{}", json.dumps(elsewhere)), 403, "vxp.agency_forbidden"
        )
        refused(await peer.register_agency("{}", "{not json"), 400, "request.bad_json")
        refused(await peer.register_agency("{}", "[" * 50_000), 400, "request.bad_json")
        listed = await office.get_agencies_list_qd20("{}")
        assert {"000.00.09.H01", A, B, PROV} == {a["code102"] for a in listed.data}
        synced = await office.get_synchronize_unit("{}")
        assert synced.ok and all(u["deleted"] is False for u in synced.data)
        refused(
            await peer.delete_agency(json.dumps({"AgencyCode": "000.00.09.H01"})),
            409,
            "vxp.agency_delete_unsupported",
        )
    finally:
        await office.close()
        await peer.close()


async def test_rate_limited_per_system(tmp_home: Path, tmp_path: Path, sqlite_url: str) -> None:
    """Over the per-system rate → 429 limit.rate in the SDK's shape; another system is not
    counted against it."""
    async with vxp_world(tmp_home, tmp_path, sqlite_url, rate_per_minute=3) as w:
        a, b = w.sdk("office-a"), w.sdk("office-b")
        try:
            answers = [await a.count_receive_edoc("{}") for _ in range(5)]
            assert [r.ok for r in answers[:3]] == [True] * 3
            refused(answers[-1], 429, "limit.rate")
            assert (await b.count_receive_edoc("{}")).ok
        finally:
            await a.close()
            await b.close()


def _outward_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 9))  # no packet is sent: picks the outward interface
        except OSError:
            return None
        address = str(sock.getsockname()[0])
    return None if address.startswith("127.") else address


async def test_plain_http_from_a_non_loopback_address_is_refused_unless_allowed(
    tmp_home: Path, tmp_path: Path, sqlite_url: str
) -> None:
    """Over plain HTTP from off-loopback: office-a → 403 vxp.insecure_transport;
    office-b (allow_plain_http = true) is served."""
    host = _outward_address()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    async with vxp_world(tmp_home, tmp_path, sqlite_url, host=host) as w:
        a, b = w.sdk("office-a"), w.sdk("office-b")
        try:
            refused(await a.count_receive_edoc("{}"), 403, "vxp.insecure_transport")
            assert (await b.count_receive_edoc("{}")).ok
        finally:
            await a.close()
            await b.close()
