"""An operator finds the escalation sends left `unknown` by a killed hub process and
resolves each once: `--sent` sends nothing, `--resend` one more mail; from
`lienthong escalations` and over HTTP, whole-hub operators only (issue 25)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gateway.store.models import AuditRow
from tests.support.api_world import PROV, A, B, World
from tests.support.cli_runs import run_lienthong
from tests.support.late_world import Targets, kill_while_mailing, late_world, smtp, targets

__all__ = ["late_world", "smtp", "targets"]


async def _unknown(world: World, targets: Targets) -> dict[str, Any]:
    """A mail left `unknown` (its process killed while sending, settled by a later pass,
    which sends the other level's notices): the API's one unknown send."""
    message_id = await world.send(subject="Báo cáo tháng")
    await world.wait_state(message_id, B, {"queued"})
    await kill_while_mailing(world, targets)
    later = datetime.now(UTC) + timedelta(minutes=11)
    world.hub.escalation.clock = lambda: later
    await world.hub.escalation.run_once()
    assert len(targets.inbox.mails) == 2
    resp = await world.client.get(
        "/api/v1/escalations?state=unknown", headers=world.auth("operator")
    )
    assert resp.status == 200
    [send] = (await resp.json())["items"]
    assert send["message_id"] == message_id and send["channel"] == "mail"
    assert send["recipient"] == B and send["target"] == "vanthu@prov.example"
    return dict(send)


async def _audits(world: World, action: str) -> list[tuple[str, Any]]:
    async with world.hub.db.read() as session:
        query = select(AuditRow.actor, AuditRow.detail).where(AuditRow.action == action)
        return [(a, d) for a, d in (await session.execute(query)).all()]


async def _code(resp: Any) -> tuple[int, str]:
    return resp.status, (await resp.json())["error"]["code"]


async def test_cli_lists_and_resends_an_unknown_mail_once(
    late_world: World, targets: Targets, tmp_path: Path
) -> None:
    """`escalations list --state unknown` shows it; `resolve ID --resend` sends exactly one
    more mail with the same Message-ID, audited with the operator; a second resolve is
    refused with escalation.not_unknown and sends nothing; later passes send nothing."""
    world, home = late_world, tmp_path / "cli"
    send = await _unknown(world, targets)
    first = targets.inbox.mails[0]["Message-ID"]
    assert first == f"<escalation.{send['id']}@hub.example>"

    code, out, err = await run_lienthong(
        world, "operator", "escalations", "list", "--state", "unknown", home=home
    )
    assert code == 0, err
    [line] = out.splitlines()
    assert line.split("\t")[:7] == [
        send["id"], send["message_id"], B, send["level"], "mail", "vanthu@prov.example",
        "unknown",
    ]  # fmt: skip
    code, out, err = await run_lienthong(
        world, "operator", "escalations", "list", "--json", home=home
    )
    assert code == 0, err
    assert {s["state"] for s in json.loads(out)} == {"sent", "unknown"}

    code, out, err = await run_lienthong(
        world, "operator", "escalations", "resolve", send["id"], "--resend", home=home
    )
    assert code == 0, err
    assert "\tsent\t" in out and f"resent: {send['id']}" in err
    assert len(targets.inbox.mails) == 3 and targets.inbox.mails[2]["Message-ID"] == first

    code, _, err = await run_lienthong(
        world, "operator", "escalations", "resolve", send["id"], "--resend", home=home
    )
    assert code == 2 and err.startswith("escalation.not_unknown: ")
    code, _, err = await run_lienthong(
        world, "operator", "escalations", "resolve", send["id"], home=home
    )
    assert code != 0 and "--sent" in err
    world.hub.escalation.clock = lambda: datetime.now(UTC) + timedelta(hours=2)
    assert await world.hub.escalation.run_once() == []
    assert len(targets.inbox.mails) == 3
    [(actor, detail)] = await _audits(world, "escalation.resend")
    assert actor == "operator:ops" and detail == {"level": send["level"], "channel": "mail"}


async def test_http_marks_sent_once_for_whole_hub_operators_only(
    late_world: World, targets: Targets
) -> None:
    """`{"action": "sent"}` marks it sent and sends nothing; twice is 409; units and
    leaders get 403; a bad id, action, state or body gets its typed 4xx."""
    world = late_world
    send = await _unknown(world, targets)
    path = f"/api/v1/escalations/{send['id']}/resolve"
    leader = await world.hub.directory.create_token(operator="lead", scope=PROV)
    for headers in (world.auth(A), {"Authorization": f"Bearer {leader}"}):
        assert await _code(await world.client.get("/api/v1/escalations", headers=headers)) == (
            403,
            "auth.forbidden",
        )
        resp = await world.client.post(path, json={"action": "resend"}, headers=headers)
        assert await _code(resp) == (403, "auth.forbidden")
    assert len(targets.inbox.mails) == 2

    ops = world.auth("operator")
    resp = await world.client.post(path, json={"action": "sent"}, headers=ops)
    assert resp.status == 200
    body = await resp.json()
    assert body["id"] == send["id"] and body["state"] == "sent"
    assert body["detail"] == "sent: confirmed by operator:ops"
    assert len(targets.inbox.mails) == 2
    for action in ("sent", "resend"):
        resp = await world.client.post(path, json={"action": action}, headers=ops)
        assert await _code(resp) == (409, "escalation.not_unknown")
    assert len(targets.inbox.mails) == 2
    [(actor, _)] = await _audits(world, "escalation.confirmed")
    assert actor == "operator:ops"

    hostile = [
        ("/api/v1/escalations/not-a-uuid/resolve", {"json": {"action": "sent"}}, 404,
         "escalation.not_found"),
        (f"/api/v1/escalations/{A}%00/resolve", {"json": {"action": "sent"}}, 404,
         "escalation.not_found"),
        ("/api/v1/escalations/8f3c2a51-0b7e-5d2a-9c41-7a0e25d1b6f3/resolve",
         {"json": {"action": "sent"}}, 404, "escalation.not_found"),
        (path, {"json": {"action": "delete"}}, 400, "escalation.bad_action"),
        (path, {"json": {"action": ["sent"]}}, 400, "escalation.bad_action"),
        (path, {"json": {}}, 400, "escalation.bad_action"),
        (path, {"data": b"{not json"}, 400, "request.bad_json"),
        (path, {"data": b"[1, 2]"}, 400, "request.bad_json"),
    ]  # fmt: skip
    for url, kwargs, status, code in hostile:
        resp = await world.client.post(url, headers=ops, **kwargs)
        assert await _code(resp) == (status, code), url
    for query in ("?state=bogus", "?state=%00"):
        resp = await world.client.get(f"/api/v1/escalations{query}", headers=ops)
        assert await _code(resp) == (400, "request.bad_parameter")
    spec = await (await world.client.get("/api/openapi.json")).json()
    assert "/api/v1/escalations/{id}/resolve" in spec["paths"]


async def test_two_resends_at_once_send_one_mail(late_world: World, targets: Targets) -> None:
    """Two operators resend the same unknown mail at the same moment: one gets it sent,
    the other escalation.not_unknown; exactly one more mail reaches the server."""
    world = late_world
    send = await _unknown(world, targets)
    path = f"/api/v1/escalations/{send['id']}/resolve"
    ops = world.auth("operator")
    first, second = await asyncio.gather(
        world.client.post(path, json={"action": "resend"}, headers=ops),
        world.client.post(path, json={"action": "resend"}, headers=ops),
    )
    assert sorted([first.status, second.status]) == [200, 409]
    loser = second if second.status == 409 else first
    assert (await loser.json())["error"]["code"] == "escalation.not_unknown"
    assert len(targets.inbox.mails) == 3
    assert len(await _audits(world, "escalation.resend")) == 1
