"""Hand-overs in the timeline, over HTTP on both stacks (issue 24): when a successor
reads a retired unit's item, the message's status says who took it over from which
unit, once per item however often (and however concurrently) it is read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
import schemathesis

from tests.support.api_calls import post, status_of
from tests.support.api_world import A, B, C, World

pytestmark = pytest.mark.integration


def _handovers(status: dict[str, Any], unit: str) -> list[tuple[str, str, str]]:
    [entry] = [r for r in status["recipients"] if r["unit"] == unit]
    return [(h["kind"], h["from"], h["to"]) for h in entry.get("handovers", [])]


async def test_each_hand_over_is_in_the_timeline_once(world: World) -> None:
    """B retires into C: C's reads of B's pending document (twice, then twice at once)
    record one hand-over on B's delivery; the sender sees it, and nothing is copied (the
    item is C's once, with its id)."""
    old = await world.send(A, (B,))
    await world.wait_state(old, B, {"queued", "delivered"})
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200
    assert _handovers(await status_of(world, A, old), B) == []  # not read yet

    first = await world.mailbox(C)
    again = await world.mailbox(C)
    both = await asyncio.gather(world.mailbox(C), world.mailbox(C))
    for items in (first, again, *both):
        assert [(i["message_id"], i["handed_over_from"]) for i in items] == [(old, B)]
        assert items[0]["item_id"] == first[0]["item_id"]
    status = await status_of(world, A, old)
    assert _handovers(status, B) == [("document", B, C)]
    [entry] = status["recipients"]
    assert entry["handovers"][0]["at"]
    # the successor sees the message it took over, with the hand-over
    assert _handovers(await status_of(world, C, old), B) == [("document", B, C)]

    code, _ = await post(world, C, f"/api/v1/messages/{old}/receipts", {"status": "received"})
    assert code == 201
    assert await world.mailbox(C, wait=0) == []
    assert _handovers(await status_of(world, A, old), B) == [("document", B, C)]


async def test_a_receipt_for_a_retired_sender_is_handed_over_in_the_timeline(
    world: World,
) -> None:
    """B sent a document and then retired into C: A's answer reaches C, and the status
    of B's message says, on A's delivery, that C took the receipt over from B."""
    sent = await world.send(B, (A,))
    await world.wait_state(sent, A, {"queued", "delivered"})
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200
    [doc] = await world.mailbox(A)
    code, _ = await post(world, A, f"/api/v1/messages/{sent}/receipts", {"status": "received"})
    assert code == 201
    items: list[dict[str, Any]] = []
    for _ in range(50):
        items = await world.mailbox(C, wait=1)
        if items:
            break
    assert [(i["kind"], i["handed_over_from"]) for i in items] == [("receipt", B)]
    status = await status_of(world, "operator", sent)
    assert _handovers(status, A) == [("receipt", B, C)]
    # A, the recipient, reads its own delivery: the hand-over of the answer to it too
    assert _handovers(await status_of(world, A, sent), A) == [("receipt", B, C)]
    assert doc["message_id"] == sent


def _closed(schema: Any) -> Any:
    """``schema`` with ``additionalProperties: false`` on every object that lists its
    properties, so a field the document does not describe fails validation."""
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _closed(v) for k, v in schema.items()}
    if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


async def _conforming(world: World, spec: Any, who: str, path: str, route: str) -> Any:
    """GET ``path`` as ``who`` from the running hub; the answer must conform to what the
    served OpenAPI document says of ``route`` (schemathesis's response check)."""
    url = str(world.client.make_url(path))
    resp = await asyncio.to_thread(requests.get, url, headers=world.auth(who), timeout=15)
    assert resp.status_code == 200, resp.text
    spec[route]["GET"].validate_response(resp)
    return resp.json()


async def test_a_status_with_hand_overs_and_forwarding_matches_the_served_openapi(
    world: World,
) -> None:
    """A status with ``handovers``, ``forwarded_to``, ``addressed_to`` and ``note``, and
    a mailbox with ``handed_over_from``, conform to the hub's own /api/openapi.json with
    every object closed (a field it does not describe fails)."""
    old = await world.send(A, (B,))
    await world.wait_state(old, B, {"queued", "delivered"})
    code, _ = await post(world, "operator", f"/api/v1/units/{B}/retire", {"successor": C})
    assert code == 200
    served = await (await world.client.get("/api/openapi.json")).json()
    spec = schemathesis.openapi.from_dict(_closed(served))
    status_route, mailbox_route = "/api/v1/messages/{id}/status", "/api/v1/mailbox"

    box = await _conforming(world, spec, C, "/api/v1/mailbox?wait=5", mailbox_route)
    assert [i["handed_over_from"] for i in box["items"]] == [B]
    forwarded = await world.send(A, (B,))  # to the retired code: C gets it

    for who in (A, "operator", C):
        status = await _conforming(world, spec, who, f"/api/v1/messages/{old}/status", status_route)
        [entry] = status["recipients"]
        assert (entry["forwarded_to"], entry["handovers"][0]["to"]) == (C, C)
    status = await _conforming(world, spec, A, f"/api/v1/messages/{forwarded}/status", status_route)
    [entry] = status["recipients"]
    assert (entry["unit"], entry["addressed_to"]) == (C, B)
    assert "forwarded to" in entry["note"]
