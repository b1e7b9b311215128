"""Revoke, update and replace take effect, over HTTP on both backends (issue 25, item 1)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gateway.console.data import ConsoleData
from gateway.directory.principal import Principal
from gateway.store.models import AuditRow
from tests.support.api_world import A, B, C, World


async def _status(world: World, message_id: str, who: str = "operator") -> dict[str, Any]:
    resp = await world.client.get(f"/api/v1/messages/{message_id}/status", headers=world.auth(who))
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def _post(world: World, message_id: str, status: str, who: str = B) -> Any:
    return await world.client.post(
        f"/api/v1/messages/{message_id}/receipts", json={"status": status}, headers=world.auth(who)
    )


async def _queued(world: World, message_id: str) -> None:
    await world.wait_state(message_id, B, {"queued"})


async def test_revoke_before_fetch_withdraws_the_original(world: World) -> None:
    """A revoked document not fetched yet leaves B's mailbox; both read as linked; B may
    only answer 15/16 on the original, any other status is receipt.document_revoked."""
    original = await world.send(subject="Công văn gốc")
    await _queued(world, original)
    revoke = await world.send(kind="revoke", refers_to=original, subject="Thu hồi")
    await _queued(world, revoke)
    items = await world.mailbox(B)
    assert [i["message_id"] for i in items] == [revoke]
    assert items[0]["document_kind"] == "revoke" and items[0]["refers_to"] == original
    body = await _status(world, original, A)
    assert body["document_state"] == "revoked"
    assert [c["id"] for c in body["changed_by"]] == [revoke]
    assert body["changed_by"][0]["kind"] == "revoke"
    assert (await _status(world, revoke, A))["refers_to"] == original
    refused = await _post(world, original, "01")
    assert refused.status == 409
    assert (await refused.json())["error"]["code"] == "receipt.document_revoked"
    agreed = await _post(world, original, "15")
    assert agreed.status == 201, await agreed.text()
    mine = (await _status(world, original, B))["recipients"][0]
    assert mine["state"] == "recall_agreed"


async def test_update_before_fetch_gives_both_linked(world: World) -> None:
    """An update of a document B has not fetched: B gets both, each naming the other."""
    original = await world.send(subject="Kế hoạch")
    await _queued(world, original)
    update = await world.send(kind="update", refers_to=original, subject="Kế hoạch (sửa)")
    await _queued(world, update)
    items = {i["message_id"]: i for i in await world.mailbox(B)}
    assert set(items) == {original, update}
    assert items[original]["document_state"] == "updated"
    assert items[original]["changed_by"] == update
    assert items[update]["refers_to"] == original and items[update]["document_kind"] == "update"
    assert (await _status(world, original))["document_state"] == "updated"
    ok = await _post(world, original, "01")
    assert ok.status == 201, await ok.text()


async def test_replace_after_fetch_and_answers(world: World) -> None:
    """B fetched the original: the replacement arrives linked; B refuses it with 16 on
    the replacement and still registers it afterwards; the original reads replaced."""
    original = await world.send()
    await _queued(world, original)
    assert [i["message_id"] for i in await world.mailbox(B)] == [original]
    replacement = await world.send(kind="replace", refers_to=original, subject="Thay thế")
    await _queued(world, replacement)
    items = await world.mailbox(B)
    assert [i["message_id"] for i in items] == [original, replacement]
    assert items[1]["refers_to"] == original
    refused = await _post(world, replacement, "16")
    assert refused.status == 201, await refused.text()
    await world.wait_state(replacement, B, {"recall_refused"})
    assert (await _post(world, replacement, "03")).status == 201
    assert (await _status(world, original))["document_state"] == "replaced"
    search = await world.client.get(f"/api/v1/messages?sender={A}", headers=world.auth("operator"))
    states = {i["id"]: i["document_state"] for i in (await search.json())["items"]}
    assert states == {original: "replaced", replacement: "current"}


async def test_15_on_a_new_document_without_take_back_is_refused(world: World) -> None:
    """15 answers a take-back or a change only: on a plain new document it is refused."""
    original = await world.send()
    await _queued(world, original)
    resp = await _post(world, original, "15")
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "receipt.illegal_transition"


async def test_bad_references_are_422(world: World) -> None:
    """A change must refer to a stored document of its own sender, not revoked, not a
    revocation: else 422 request.bad_reference, and nothing is stored."""
    foreign = await world.send(sender=C)
    mine = await world.send()
    revoke = await world.send(kind="revoke", refers_to=mine)
    cases = [
        foreign,  # another sender's document
        "6f0c1a52-0000-4000-8000-000000000000",  # no such document
        mine,  # revoked already
        revoke,  # a revocation
    ]
    for ref in cases:
        resp = await _submit(world, kind="update", refers_to=ref)
        assert resp.status == 422, (ref, await resp.text())
        assert (await resp.json())["error"]["code"] == "request.bad_reference"


async def _submit(world: World, **meta: Any) -> Any:
    import json

    import aiohttp

    form = aiohttp.FormData()
    form.add_field(
        "metadata",
        json.dumps({"to": [B], "subject": "x", **meta}),
        content_type="application/json",
    )
    form.add_field("file", b"x", filename="a.txt", content_type="text/plain")
    return await world.client.post("/api/v1/messages", data=form, headers=world.auth(A))


async def test_15_on_a_revocation_closes_the_original_too(world: World) -> None:
    """B fetched the original, then agrees (15) on the revocation's own delivery: B's
    delivery of the original ends recall_agreed as well (audited, implied by the
    revocation), and a later status on it is refused."""
    original = await world.send(subject="Quyết định")
    await _queued(world, original)
    assert [i["message_id"] for i in await world.mailbox(B)] == [original]
    revoke = await world.send(kind="revoke", refers_to=original, subject="Thu hồi")
    await _queued(world, revoke)
    agreed = await _post(world, revoke, "15")
    assert agreed.status == 201, await agreed.text()
    assert (await _status(world, revoke, A))["recipients"][0]["state"] == "recall_agreed"
    assert (await _status(world, original, A))["recipients"][0]["state"] == "recall_agreed"
    late = await _post(world, original, "16")
    assert late.status == 409
    async with world.hub.db.read() as session:
        rows = await session.execute(
            select(AuditRow.action, AuditRow.detail).where(AuditRow.message_id == original)
        )
        closed = [d for a, d in rows if a == "delivery.recall_agreed"]
    assert len(closed) == 1 and closed[0]["revocation"] == revoke
    assert closed[0]["implied_by"] == "revocation"


async def _summary(world: World, unit: str) -> dict[str, Any]:
    resp = await world.client.get(
        "/api/v1/units/summary", params={"unit": unit}, headers=world.auth("operator")
    )
    assert resp.status == 200, await resp.text()
    items: list[dict[str, Any]] = (await resp.json())["items"]
    return items[0]


async def test_a_withdrawn_document_is_not_counted_as_pending(world: World) -> None:
    """Revoked before B fetched it: B's pending count drops to the revocation alone, the
    unit's, search and metrics state counts say withdrawn, the status marks it, the
    console's in-flight count leaves it out."""
    original = await world.send(subject="Sẽ thu hồi")
    await _queued(world, original)
    assert (await _summary(world, B))["pending_items"] == 1
    revoke = await world.send(kind="revoke", refers_to=original, subject="Thu hồi")
    await _queued(world, revoke)
    summary = await _summary(world, B)
    assert summary["pending_items"] == 1
    assert summary["states"] == {"withdrawn": 1, "queued": 1}
    status = await _status(world, original, A)
    assert status["recipients"][0]["withdrawn"] is True
    assert (await _status(world, revoke, A))["recipients"][0]["withdrawn"] is False
    found = await world.client.get(
        "/api/v1/messages", params={"q": original}, headers=world.auth("operator")
    )
    assert [m["states"] for m in (await found.json())["items"]] == [{"withdrawn": 1}]
    metrics = await (await world.client.get("/metrics")).text()
    assert f'lienthong_deliveries{{state="withdrawn",unit="{B}"}} 1.0' in metrics
    assert f'lienthong_deliveries{{state="queued",unit="{B}"}} 1.0' in metrics
    overview = await ConsoleData(world.hub).overview(Principal(operator="ops"))
    assert overview.in_flight == 1
