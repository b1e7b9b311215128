"""The message routes end to end over real HTTP, on both backends."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from gateway.store.models import AuditRow
from tests.support.api_world import A, B, C, World

_BODY = b"0123456789" * 100  # the file World.send attaches


async def test_multipart_submit_is_202_with_status_url(world: World) -> None:
    """metadata + file parts are sealed by the hub: 202 {id, status_url}."""
    message_id = await world.send(number="12", notation="12/HND-VP")
    resp = await world.client.get(f"/api/v1/messages/{message_id}/status", headers=world.auth(A))
    assert resp.status == 200
    body = await resp.json()
    assert body["id"] == message_id and body["sender"] == A
    assert [r["unit"] for r in body["recipients"]] == [B]


async def test_xml_submit_and_resubmit_create_one_message(world: World) -> None:
    """A signed envelope is accepted once; the same bytes again answer 202, created false."""
    message_id, xml = await world.signed_xml()
    headers = {**world.auth(A), "Content-Type": "application/xml"}
    first = await world.client.post("/api/v1/messages", data=xml, headers=headers)
    assert first.status == 202, await first.text()
    assert (await first.json()) == {
        "id": message_id,
        "status_url": f"/api/v1/messages/{message_id}/status",
        "created": True,
    }
    again = await world.client.post("/api/v1/messages", data=xml, headers=headers)
    assert again.status == 202
    assert (await again.json())["created"] is False
    items = await world.mailbox(B)
    assert [i["message_id"] for i in items] == [message_id]


async def test_xml_from_another_unit_is_refused(world: World) -> None:
    """An envelope signed by A but submitted by C is refused with a typed error."""
    _, xml = await world.signed_xml()
    headers = {**world.auth(C), "Content-Type": "application/xml"}
    resp = await world.client.post("/api/v1/messages", data=xml, headers=headers)
    assert resp.status in (403, 422)
    assert (await resp.json())["error"]["code"] == "envelope.sender_mismatch"


async def test_envelope_and_attachment_downloads(world: World) -> None:
    """The recipient reads the signed XML and the file, with an RFC 5987 filename."""
    message_id = await world.send()
    resp = await world.client.get(f"/api/v1/messages/{message_id}", headers=world.auth(B))
    assert resp.status == 200 and resp.content_type == "application/xml"
    assert message_id.encode() in await resp.read()
    url = f"/api/v1/messages/{message_id}/attachments/báo cáo.pdf"
    resp = await world.client.get(url, headers=world.auth(B))
    assert resp.status == 200
    assert await resp.read() == _BODY
    assert resp.headers["Content-Type"] == "application/pdf"
    disposition = resp.headers["Content-Disposition"]
    assert "filename*=UTF-8''b%C3%A1o%20c%C3%A1o.pdf" in disposition
    assert disposition.isascii()


async def test_attachment_range_requests(world: World) -> None:
    """Range gives 206 with the slice; an unsatisfiable range is 416 request.bad_range."""
    message_id = await world.send()
    url = f"/api/v1/messages/{message_id}/attachments/báo cáo.pdf"
    resp = await world.client.get(url, headers={**world.auth(B), "Range": "bytes=10-19"})
    assert resp.status == 206
    assert await resp.read() == _BODY[10:20]
    assert resp.headers["Content-Range"] == f"bytes 10-19/{len(_BODY)}"
    resp = await world.client.get(url, headers={**world.auth(B), "Range": "bytes=5000-6000"})
    assert resp.status == 416
    assert (await resp.json())["error"]["code"] == "request.bad_range"
    assert resp.headers["Content-Range"] == f"bytes */{len(_BODY)}"
    resp = await world.client.get(url, headers={**world.auth(B), "Range": "pages=1"})
    assert resp.status == 416


async def test_unknown_attachment_is_404(world: World) -> None:
    """A name not in the manifest is message.attachment_not_found."""
    message_id = await world.send()
    url = f"/api/v1/messages/{message_id}/attachments/..%2F..%2Fetc%2Fpasswd"
    resp = await world.client.get(url, headers=world.auth(B))
    assert resp.status == 404
    assert (await resp.json())["error"]["code"] == "message.attachment_not_found"


async def test_mailbox_ack_removes_the_item(world: World) -> None:
    """Acking an item takes it off the pending list; acking again stays harmless or 404."""
    message_id = await world.send()
    items = await world.mailbox(B)
    assert [i["message_id"] for i in items] == [message_id]
    assert items[0]["kind"] == "document" and items[0]["sender"] == A
    item_id = items[0]["item_id"]
    resp = await world.client.post(f"/api/v1/mailbox/{item_id}/ack", headers=world.auth(B))
    assert resp.status == 200
    assert await world.mailbox(B, wait=0) == []


async def _pending(world: World, unit: str, count: int) -> list[dict[str, Any]]:
    """``unit``'s pending items once there are ``count`` of them (5 s at most)."""
    async with asyncio.timeout(5):
        while len(items := await world.mailbox(unit)) < count:
            await asyncio.sleep(0.02)
    return items


async def _acked_audit_rows(world: World) -> int:
    async with world.hub.db.read() as session:
        rows = await session.execute(select(AuditRow.seq).where(AuditRow.action == "mailbox.acked"))
        return len(rows.all())


async def test_mailbox_ack_many_removes_every_item_in_one_call(world: World) -> None:
    """Items acked in one call leave the list empty, audited once; again is a harmless 200."""
    first, second = await world.send(), await world.send()
    items = await _pending(world, B, 2)
    assert sorted(i["message_id"] for i in items) == sorted([first, second])
    body = {"item_ids": [i["item_id"] for i in items]}
    for _ in range(2):
        resp = await world.client.post("/api/v1/mailbox/ack", json=body, headers=world.auth(B))
        assert resp.status == 200, await resp.text()
        assert (await resp.json()) == {"item_ids": body["item_ids"], "acked": True}
    assert await world.mailbox(B, wait=0) == []
    assert await _acked_audit_rows(world) == 2


async def test_mailbox_ack_many_is_all_or_nothing(world: World) -> None:
    """One id not the caller's (another unit's, unknown, malformed) refuses all: 404, none acked."""
    await world.send()
    await world.send()
    await world.send(to=(C,))
    mine = [i["item_id"] for i in await _pending(world, B, 2)]
    theirs = (await world.mailbox(C))[0]["item_id"]
    strangers = (theirs, "999999999", "-1", "x1", True, 2.5, None, 2**31, 2**64, "9" * 5000, " 1")
    for stranger in strangers:
        body = {"item_ids": [*mine, stranger]}
        resp = await world.client.post("/api/v1/mailbox/ack", json=body, headers=world.auth(B))
        assert resp.status == 404, stranger
        assert (await resp.json())["error"]["code"] == "mailbox.item_not_found"
    for path_id in (str(2**31), "9" * 5000):
        resp = await world.client.post(f"/api/v1/mailbox/{path_id}/ack", headers=world.auth(B))
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "mailbox.item_not_found"
    assert sorted(i["item_id"] for i in await world.mailbox(B, wait=0)) == sorted(mine)
    assert await _acked_audit_rows(world) == 0


async def test_mailbox_ack_many_refuses_a_bad_body(world: World) -> None:
    """No list, an empty one, not a list, 501 ids, bad JSON: 400 with a stable code, no ack."""
    await world.send()
    [item] = await _pending(world, B, 1)
    cases = [
        ({"item_ids": []}, "request.missing_field"),
        ({"items": ["1"]}, "request.missing_field"),
        ({"item_ids": "1"}, "request.invalid"),
        ({"item_ids": {"1": 1}}, "request.invalid"),
        ({"item_ids": [str(n) for n in range(501)]}, "request.invalid"),
        (b"[1, 2", "request.bad_json"),
    ]
    for body, code in cases:
        kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
        resp = await world.client.post("/api/v1/mailbox/ack", headers=world.auth(B), **kwargs)
        assert resp.status == 400, body
        assert (await resp.json())["error"]["code"] == code
    assert await world.mailbox(B, wait=0) == [item]


async def test_a_fetch_is_recorded_beside_the_response(world: World) -> None:
    """The first fetch over HTTP makes the delivery ``delivered`` (written beside the answer);
    a fetch racing that write returns the document again, and it is recorded once."""
    message_id = await world.send()
    first, again = await asyncio.gather(world.mailbox(B), world.mailbox(B))
    assert [i["message_id"] for i in first] == [message_id]
    assert [i["message_id"] for i in again] == [message_id]  # unacked: still pending
    await world.wait_state(message_id, B, {"delivered"})
    async with world.hub.db.read() as session:
        actions = (
            await session.execute(select(AuditRow.action).where(AuditRow.message_id == message_id))
        ).scalars()
        assert list(actions).count("delivery.delivered") == 1


async def test_receipts_show_in_status_and_reach_the_sender(world: World) -> None:
    """B posts 03 then completed: 201 receipt ids, the timeline and A's mailbox show them."""
    message_id = await world.send()
    await world.mailbox(B)
    url = f"/api/v1/messages/{message_id}/receipts"
    resp = await world.client.post(url, json={"status": "03"}, headers=world.auth(B))
    assert resp.status == 201, await resp.text()
    receipt_id = (await resp.json())["receipt_id"]
    resp = await world.client.post(url, json={"status": "completed"}, headers=world.auth(B))
    assert resp.status == 201
    status = await world.wait_state(message_id, B, {"completed"})
    names = [r["name"] for r in status["recipients"][0]["receipts"]]
    assert "accepted" in names and names[-1] == "completed"
    assert await world.mailbox(B, wait=0) == []  # posting a status acks the document
    receipts = [i for i in await world.mailbox(A) if i["kind"] == "receipt"]
    assert receipt_id in {i["receipt_id"] for i in receipts}


async def test_illegal_and_malformed_receipts(world: World) -> None:
    """An unknown status is 409 receipt.unknown_status; a missing one 400; bad JSON 400."""
    message_id = await world.send()
    url = f"/api/v1/messages/{message_id}/receipts"
    resp = await world.client.post(url, json={"status": "99"}, headers=world.auth(B))
    assert (await resp.json())["error"]["code"] == "receipt.unknown_status"
    resp = await world.client.post(url, json={"reason": "x"}, headers=world.auth(B))
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "request.missing_field"
    resp = await world.client.post(url, data=b"{not json", headers=world.auth(B))
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "request.bad_json"


async def test_recall_sends_take_back_request(world: World) -> None:
    """The sender's recall is 202 with receipt ids; B's delivery shows recall_requested."""
    message_id = await world.send()
    url = f"/api/v1/messages/{message_id}/recall"
    resp = await world.client.post(url, json={"reason": "nhầm"}, headers=world.auth(A))
    assert resp.status == 202, await resp.text()
    assert len((await resp.json())["receipt_ids"]) == 1
    status = await world.wait_state(message_id, B, {"recall_requested"})
    assert status["recipients"][0]["receipts"][-1]["reason"] == "nhầm"


async def test_search_pages_with_a_cursor(world: World) -> None:
    """An operator pages through messages; pages do not overlap and cover them all."""
    sent = {await world.send(subject=f"Số {n}") for n in range(5)}
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        query = f"/api/v1/messages?unit={A}&limit=2" + (f"&cursor={cursor}" if cursor else "")
        resp = await world.client.get(query, headers=world.auth("operator"))
        assert resp.status == 200, await resp.text()
        page = await resp.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            break
    assert sorted(seen) == sorted(sent)


async def test_search_text_and_bad_parameters(world: World) -> None:
    """q filters by subject text; a malformed since is 400 request.bad_parameter."""
    wanted = await world.send(subject="Kế hoạch phòng chống lụt bão")
    await world.send(subject="Báo cáo tháng")
    resp = await world.client.get("/api/v1/messages?q=lụt bão", headers=world.auth("operator"))
    assert [i["id"] for i in (await resp.json())["items"]] == [wanted]
    resp = await world.client.get(
        "/api/v1/messages?since=yesterday", headers=world.auth("operator")
    )
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "request.bad_parameter"


async def test_unsupported_media_type_is_415(world: World) -> None:
    """Submitting JSON directly is refused with request.unsupported_media_type."""
    resp = await world.client.post("/api/v1/messages", json={"to": [B]}, headers=world.auth(A))
    assert resp.status == 415
    assert (await resp.json())["error"]["code"] == "request.unsupported_media_type"


async def test_probes_and_openapi(world: World) -> None:
    """healthz/readyz are 200 when up, metrics is Prometheus text, the spec is served."""
    assert (await world.client.get("/healthz")).status == 200
    resp = await world.client.get("/readyz")
    assert resp.status == 200
    assert (await resp.json())["checks"] == {
        "database": True,
        "bus": True,
        "adapters": True,
        "storage": True,
    }
    resp = await world.client.get("/metrics")
    assert resp.status == 200 and re.search(r"^# (HELP|TYPE) ", await resp.text(), re.M)
    spec = await (await world.client.get("/api/openapi.json")).json()
    assert "/api/v1/messages/{id}/attachments/{name}" in spec["paths"]
