"""Units change over HTTP, on both stacks: an operator retires a unit; its pending
documents, new documents to it and answers to old ones follow the successor, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gateway.directory import Principal
from gateway.errors import AuthError
from tests.support.api_calls import post, status_of
from tests.support.api_world import PROV, A, B, C, World
from tests.support.tls import client_context, get_mailbox, tls_url, write_pem

__all__ = ["tls_url"]  # the TLS listener fixture (tests/support/tls.py)

pytestmark = pytest.mark.integration


async def test_retired_unit_hands_over_and_forwards(world: World) -> None:
    """After B retires into C: B's pending document is C's (once), C's answer moves B's
    delivery, a new document to B reaches C, the sender sees both, B's token stops."""
    old = await world.send(A, (B,))
    await world.wait_state(old, B, {"queued"})
    code, unit = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200, unit
    assert unit["state"] == "retired" and unit["successors"][0]["code"] == C

    items = await world.mailbox(C)
    assert [(i["message_id"], i["handed_over_from"]) for i in items] == [(old, B)]
    code, _ = await post(world, C, f"/api/v1/messages/{old}/receipts", {"status": "accepted"})
    assert code == 201
    assert await world.mailbox(C, wait=0) == []
    status = await status_of(world, A, old)
    [entry] = status["recipients"]
    assert (entry["unit"], entry["state"], entry["forwarded_to"]) == (B, "accepted", C)
    assert entry["receipts"][-1]["by"] == B  # signed by the hub for B, on C's word

    new = await world.send(A, (B,))
    status = await status_of(world, A, new)
    [entry] = status["recipients"]
    assert (entry["unit"], entry["addressed_to"]) == (C, B)
    assert "forwarded to " + C in entry["note"]
    items = await world.mailbox(C)
    assert [i["message_id"] for i in items] == [new]

    resp = await world.client.get("/api/v1/mailbox?wait=0", headers=world.auth(B))
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "auth.unit_retired"
    # an adapter acting for B (through the facade, no token) stops too: C alone reads
    for act in (
        world.hub.mailbox(Principal(unit=B), wait=0, limit=10),
        world.hub.submit_document(Principal(unit=B), {"to": [A], "subject": "x"}, []),
    ):
        with pytest.raises(AuthError) as caught:
            await act
        assert caught.value.code == "auth.unit_retired"


@pytest.mark.parametrize("hub_overrides", [{"retired_units": "refuse"}])
async def test_refusing_hub_names_the_successor(world: World) -> None:
    """A hub set to refuse answers routing.unit_retired naming the successor."""
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200
    resp = await world.client.post(
        "/api/v1/messages",
        json={"to": [B], "subject": "x"},
        headers=world.auth(A),
    )
    body = await resp.json()
    assert resp.status in (400, 415, 422), body
    form_status, form_body = await _send_form(world, A, B)
    assert form_status == 422 and form_body["error"]["code"] == "routing.unit_retired"
    assert C in form_body["error"]["message"]


async def _send_form(world: World, sender: str, to: str) -> tuple[int, dict[str, Any]]:
    import json

    import aiohttp

    form = aiohttp.FormData()
    form.add_field(
        "metadata", json.dumps({"to": [to], "subject": "x"}), content_type="application/json"
    )
    form.add_field("file", b"abc", filename="a.txt", content_type="text/plain")
    resp = await world.client.post("/api/v1/messages", data=form, headers=world.auth(sender))
    return resp.status, await resp.json()


async def test_unit_changes_are_for_operators_with_typed_errors(world: World) -> None:
    """Units may not change the directory; bad bodies and codes are typed 4xx, never 5xx."""
    code, body = await post(world, A, f"/api/v1/units/{B}/rename", {"name": "x"})
    assert (code, body["error"]["code"]) == (403, "auth.forbidden")
    cases = [
        (f"/api/v1/units/{B}/retire", {}, "request.missing_field"),
        (f"/api/v1/units/{B}/retire", {"successor": 5}, "request.invalid"),
        (f"/api/v1/units/{B}/retire", {"successor": B}, "directory.cycle"),
        (f"/api/v1/units/{B}/retire", {"successor": "000.99.99.H99"}, "directory.unknown_unit"),
        (f"/api/v1/units/{B}/retire", {"successor": C, "at": "soon"}, "directory.invalid"),
        (f"/api/v1/units/{B}/split", {"into": "nope"}, "directory.invalid"),
        (f"/api/v1/units/{PROV}/move", {"parent": A}, "directory.cycle"),
    ]
    for path, payload, expected in cases:
        code, body = await post(world, "operator", path, payload)
        assert 400 <= code < 500 and body["error"]["code"] == expected, (path, payload, body)
    code, body = await post(
        world, "operator", f"/api/v1/units/{B}/recode", {"new_code": "000.00.09.H01"}
    )
    assert code == 200 and body["code"] == "000.00.09.H01"
    resp = await world.client.get(f"/api/v1/units/{B}", headers=world.auth("operator"))
    lineage = await resp.json()
    assert lineage["successors"] == [
        {"code": "000.00.09.H01", "kind": "recode", "at": lineage["valid_until"]}
    ]


async def test_scheduled_retirement_switches_tokens_certificates_and_routing(
    world: World, tls_url: str, tmp_path: Path
) -> None:
    """Retiring A at a later instant changes nothing before it; at it, A's token and
    client certificate stop and documents to A go to C."""
    await world.send(A, (B,))  # A's certificate exists once A has sealed something
    key, cert = world.hub.keys.signer(A)
    tls = client_context(*write_pem(tmp_path, "unit-a", cert, key))
    instant = datetime.now(UTC) + timedelta(hours=1)
    body = {"successor": C, "at": instant.isoformat()}
    code, unit = await post(world, "operator", f"/api/v1/units/{A}/retire", body)
    assert code == 200 and unit["state"] == "active", unit
    assert (await get_mailbox(tls_url, tls))[0] == 200
    before = await world.send(B, (A,))
    assert [r["unit"] for r in (await status_of(world, B, before))["recipients"]] == [A]

    world.hub.directory.lineage.clock = lambda: instant
    status, failed = await get_mailbox(tls_url, tls)
    assert (status, failed["error"]["code"]) == (401, "auth.unit_retired")
    resp = await world.client.get("/api/v1/mailbox?wait=0", headers=world.auth(A))
    assert resp.status == 401
    after = await world.send(B, (A,))
    assert [r["unit"] for r in (await status_of(world, B, after))["recipients"]] == [C]
    await world.wait_state(before, A, {"queued"})
    items = await world.mailbox(C)
    assert {i["message_id"] for i in items} == {before, after}


async def test_status_keeps_the_names_parties_had_when_sent(world: World) -> None:
    """After a rename the status of an older message shows the old names; a newer one the
    new name."""
    before = await world.send(A, (B,))
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/rename", {"name": "Phường B"})
    assert code == 200
    code, _ = await post(world, "operator", f"/api/v1/units/{A}/rename", {"name": "Phường A"})
    after = await world.send(A, (B,))
    old, new = await status_of(world, A, before), await status_of(world, A, after)
    assert (old["sender_name"], old["recipients"][0]["name"]) == ("Huyện A", "Huyện B")
    assert (new["sender_name"], new["recipients"][0]["name"]) == ("Phường A", "Phường B")


async def test_search_by_either_code_finds_messages_across_a_retirement(world: World) -> None:
    """After B retires into C, searching by B or by C finds the message sent to B before
    and the one addressed to B after (delivered to C)."""
    before = await world.send(A, (B,))
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200
    after = await world.send(A, (B,))
    for unit in (B, C):
        resp = await world.client.get(
            f"/api/v1/messages?unit={unit}", headers=world.auth("operator")
        )
        assert resp.status == 200, await resp.text()
        found = {m["id"] for m in (await resp.json())["items"]}
        assert {before, after} <= found, unit


async def test_hostile_codes_are_typed_4xx(world: World) -> None:
    """NUL bytes, long codes and odd text in a path or body are typed 4xx on both stacks."""
    odd = ["%00", "x" * 300, "%C3%A9%E2%80%AE", "..%2F..", "000.00.01.H01%00"]
    for code in odd:
        resp = await world.client.get(f"/api/v1/units/{code}", headers=world.auth("operator"))
        assert 400 <= resp.status < 500, (code, resp.status, await resp.text())
        assert (await resp.json())["error"]["code"]
    for body in (
        {"successor": "\u0000"},
        {"successor": "a" * 5000},
        {"successor": C, "at": "\u0000"},
    ):
        code, answer = await post(world, "operator", f"/api/v1/units/{B}/retire", body)
        assert 400 <= code < 500 and answer["error"]["code"], (body, code, answer)
    code, answer = await post(
        world, "operator", f"/api/v1/units/{B}/split", {"into": [C, "\u0000x"]}
    )
    assert 400 <= code < 500 and answer["error"]["code"], answer
