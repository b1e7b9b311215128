"""The authorisation matrix: every route × every kind of caller, table-driven.

A message is sent by A (the sender) to B (the recipient); C is a unit with no part in it.
A unit sees only its own mailbox and the messages it sent or received (others are
answered 404, so ids cannot be probed); operators see every message but have no mailbox
and send nothing; no token is 401 ``auth.required``, a bad one 401 ``auth.invalid_token``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.api_world import A, B, C, World

ROLES = ("none", "bad", "other", "operator", "sender", "recipient")
_WHO = {
    "sender": A,
    "recipient": B,
    "other": C,
    "operator": "operator",
    "none": "none",
    "bad": "bad",
}


@dataclass(frozen=True)
class Row:
    """One route and the status each role gets (roles in :data:`ROLES` order)."""

    method: str
    path: str
    expected: tuple[int, int, int, int, int, int]
    body: str = "none"  # none | xml | json-status | json-reason | json-items


MATRIX = (
    #                                                none bad  other op   sender recip
    Row("POST", "/api/v1/messages", (401, 401, 422, 403, 202, 422), body="xml"),
    Row("GET", "/api/v1/mailbox", (401, 401, 200, 403, 200, 200)),
    Row("GET", "/api/v1/messages/{id}", (401, 401, 404, 200, 200, 200)),
    Row("GET", "/api/v1/messages/{id}/attachments/phu-luc.txt", (401, 401, 404, 200, 200, 200)),
    Row("GET", "/api/v1/messages/{id}/status", (401, 401, 404, 200, 200, 200)),
    Row(
        "POST", "/api/v1/messages/{id}/receipts", (401, 401, 404, 403, 403, 201), body="json-status"
    ),
    Row("POST", "/api/v1/messages/{id}/recall", (401, 401, 404, 403, 202, 403), body="json-reason"),
    Row("POST", "/api/v1/mailbox/{item}/ack", (401, 401, 404, 403, 404, 200)),
    Row("POST", "/api/v1/mailbox/ack", (401, 401, 404, 403, 404, 200), body="json-items"),
    Row("GET", "/api/v1/messages", (401, 401, 403, 200, 403, 403)),
    Row("GET", "/api/v1/messages?format=csv", (401, 401, 403, 200, 403, 403)),
    Row("GET", "/api/v1/units/summary", (401, 401, 403, 200, 403, 403)),
    Row("GET", "/api/v1/overdue", (401, 401, 403, 200, 403, 403)),
    Row("GET", "/healthz", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/readyz", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/metrics", (200, 200, 200, 200, 200, 200)),
    Row("GET", "/api/openapi.json", (200, 200, 200, 200, 200, 200)),
)
_CODES_401 = {"none": "auth.required", "bad": "auth.invalid_token"}


async def _call(world: World, row: Row, role: str, ids: dict[str, str], xml: bytes) -> Any:
    path = row.path.format(**ids)
    headers = world.auth(_WHO[role])
    kwargs: dict[str, Any] = {}
    if row.body == "xml":
        kwargs["data"] = xml
        headers["Content-Type"] = "application/xml"
    elif row.body == "json-status":
        kwargs["json"] = {"status": "03"}
    elif row.body == "json-reason":
        kwargs["json"] = {"reason": "test"}
    elif row.body == "json-items":
        kwargs["json"] = {"item_ids": [ids["item"]]}
    return await world.client.request(row.method, path, headers=headers, **kwargs)


async def test_authorisation_matrix(world: World) -> None:
    """Each (route, caller) pair answers the status in the table, with the right 401 code."""
    message_id, xml = await world.signed_xml()
    resp = await world.client.post(
        "/api/v1/messages", data=xml, headers={**world.auth(A), "Content-Type": "application/xml"}
    )
    assert resp.status == 202
    item = (await world.mailbox(B))[0]["item_id"]
    ids = {"id": message_id, "item": str(item)}
    wrong: list[str] = []
    for row in MATRIX:
        for role, expected in zip(ROLES, row.expected, strict=True):
            resp = await _call(world, row, role, ids, xml)
            if resp.status != expected:
                wrong.append(
                    f"{row.method} {row.path} as {role}: {resp.status} != {expected}"
                    f" {await resp.text()}"
                )
            elif role in _CODES_401 and expected == 401:
                code = (await resp.json())["error"]["code"]
                if code != _CODES_401[role]:
                    wrong.append(f"{row.method} {row.path} as {role}: code {code}")
    assert not wrong, "\n".join(wrong)


async def test_recipient_sees_only_its_own_delivery(world: World) -> None:
    """In a message to B and C, B's status view lists B only; the sender's lists both."""
    message_id = await world.send(to=(B, C))
    url = f"/api/v1/messages/{message_id}/status"
    as_b = await (await world.client.get(url, headers=world.auth(B))).json()
    as_a = await (await world.client.get(url, headers=world.auth(A))).json()
    assert [r["unit"] for r in as_b["recipients"]] == [B]
    assert sorted(r["unit"] for r in as_a["recipients"]) == sorted([B, C])


async def test_unknown_and_malformed_ids_are_404(world: World) -> None:
    """A well-formed unknown id and a malformed one both answer message.not_found."""
    for message_id in ("00000000-0000-4000-8000-000000000000", "not-a-uuid", "..%2F..%2Fkeys"):
        resp = await world.client.get(f"/api/v1/messages/{message_id}", headers=world.auth(A))
        assert resp.status == 404
        assert (await resp.json())["error"]["code"] == "message.not_found"
