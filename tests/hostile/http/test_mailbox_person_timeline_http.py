"""Who handled a document (issue 30): a clerk's own account is recorded with what they do
in the web mailbox, in the same transaction, and shown on the document's timeline (the
status JSON, the console's message page, the mailbox's document page, ``lienthong
status``); a unit token's answer names no one. Over HTTP against a running hub."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from support.hubproc import LIENTHONG, HubProcess
from support.livehub import A, B, LiveHome, live_home
from support.mailbox_client import csrf_of, get_page, post, send_pdf

from gateway.store.db import Database
from gateway.store.models import AuditRow, DeliveryRow, ReceiptRow

pytestmark = [pytest.mark.slow]

PASSWORD = "mat-khau-van-thu-2027"
CLERK = f"person:{B}/van.thu"


async def _clerk_cookie(live: LiveHome, hub: HubProcess) -> dict[str, str]:
    """B's clerk ``van.thu`` (made by ``lienthong users add``) logged in to the mailbox."""
    added = subprocess.run(
        [LIENTHONG, "users", "add", B, "van.thu", "--name", "Nguyễn Thị Thu",
         "--password-stdin"], env=live.home.env(), input=PASSWORD + "\n",
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    form = {"username": "van.thu", "password": PASSWORD}
    ok = await live.request(hub, "POST", "/mailbox/login", data=form, headers={})
    assert ok.status == 303, ok
    return {"Cookie": ok.headers["Set-Cookie"].split(";", 1)[0]}


async def _console_cookie(live: LiveHome, hub: HubProcess) -> dict[str, str]:
    form = {"token": live.tokens["operator"]}
    ok = await live.request(hub, "POST", "/console/login", data=form, headers={})
    assert ok.status == 303, ok
    return {"Cookie": ok.headers["Set-Cookie"].split(";", 1)[0]}


async def _status(live: LiveHome, hub: HubProcess, message_id: str, who: str) -> dict[str, Any]:
    reply = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=who)
    assert reply.status == 200, reply
    result: dict[str, Any] = reply.json
    return result


def _receipts(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each receipt of the (single-recipient) timeline by its status code."""
    return {rc["status"]: rc for rc in status["recipients"][0]["receipts"]}


async def _send_as_clerk(live: LiveHome, hub: HubProcess, cookie: dict[str, str]) -> str:
    """The clerk sends a report to A from the compose form; the new document's id."""
    csrf = csrf_of(await get_page(live, hub, "/mailbox/compose", cookie))
    form = aiohttp.FormData()
    for name, value in (("csrf", csrf), ("to", A), ("subject", "Báo cáo của xã")):
        form.add_field(name, value)
    form.add_field("file", b"bao cao " * 50, filename="báo cáo.txt", content_type="text/plain")
    headers = {**cookie, "Origin": hub.url}
    sent = await live.request(hub, "POST", "/mailbox/send", headers=headers, data=form)
    assert sent.status == 303, sent
    return sent.headers["Location"].split("/")[3].split("?")[0]


async def test_a_clerks_answer_and_send_are_on_the_timeline(
    tmp_path: Path, backends: tuple[str, str]
) -> None:
    """B's clerk answers 01 and sends a document: the status JSON names the clerk on that
    receipt and on the sent document (operators and B see it, the other unit A does
    not), B's token answer 03 names no one; the console's message page and the mailbox's
    document page show the clerk's name; the receipt row and the message's acceptance
    hold it (one transaction with the action). On SQLite + local bus and PostgreSQL +
    RabbitMQ."""
    async with live_home(tmp_path, *backends) as live:
        hub = await live.serve()
        cookie = await _clerk_cookie(live, hub)
        message_id = await send_pdf(live, hub, A, B)
        doc = f"/mailbox/documents/{message_id}"
        csrf = csrf_of(await get_page(live, hub, doc, cookie))
        answered = await post(live, hub, f"{doc}/answer", cookie, {"csrf": csrf, "status": "01"})
        assert answered.status == 303, answered
        by_token = await live.request(
            hub, "POST", f"/api/v1/messages/{message_id}/receipts", who=B, json={"status": "03"}
        )
        assert by_token.status == 201, by_token

        ops = _receipts(await _status(live, hub, message_id, "operator"))
        assert ops["01"]["person"] == CLERK and ops["01"]["person_name"] == "Nguyễn Thị Thu"
        assert ops["01"]["by"] == B
        assert ops["03"]["person"] is None and "person_name" not in ops["03"]
        assert _receipts(await _status(live, hub, message_id, B))["01"]["person"] == CLERK
        sender_view = _receipts(await _status(live, hub, message_id, A))
        assert sender_view["01"]["person"] is None and "person_name" not in sender_view["01"]

        console = await _console_cookie(live, hub)
        page = await get_page(live, hub, f"/console/messages/{message_id}", console)
        assert f'data-person="{CLERK}">Nguyễn Thị Thu</span>' in page
        assert page.count('class="person"') == 1  # the token's 03 names no one
        mine = await get_page(live, hub, doc, cookie)
        assert f'data-person="{CLERK}">Nguyễn Thị Thu</span>' in mine

        report_id = await _send_as_clerk(live, hub, cookie)
        report = await _status(live, hub, report_id, "operator")
        assert report["person"] == CLERK and report["person_name"] == "Nguyễn Thị Thu"
        assert (await _status(live, hub, report_id, B))["person"] == CLERK
        assert (await _status(live, hub, report_id, A))["person"] is None
        assert (await _status(live, hub, message_id, "operator"))["person"] is None  # A's token
        report_page = await get_page(live, hub, f"/console/messages/{report_id}", console)
        assert f'id="sent-by" data-person="{CLERK}"' in report_page
        sent_page = await get_page(live, hub, f"/mailbox/documents/{report_id}", cookie)
        assert f'id="sent-by" data-person="{CLERK}"' in sent_page

        db = Database(backends[0])
        try:
            async with db.read() as session:
                rows = (await session.execute(
                    select(ReceiptRow.status_code, ReceiptRow.person)
                    .where(ReceiptRow.message_id == message_id)
                )).all()  # fmt: skip
                accepted = (await session.execute(
                    select(AuditRow.actor).where(
                        AuditRow.action == "message.accepted", AuditRow.message_id == report_id
                    )
                )).scalar_one()  # fmt: skip
        finally:
            await db.dispose()
        assert {code: person for code, person in rows} == {"01": CLERK, "03": None}
        assert accepted == CLERK


async def _past(live: LiveHome, hub: HubProcess, message_id: str, *states: str) -> dict[str, Any]:
    """The operators' view of the (single) delivery once it is past ``states`` (through the
    broker into the mailbox; a token's fetch is recorded beside its response)."""
    for _ in range(100):
        status = await _status(live, hub, message_id, "operator")
        recipient: dict[str, Any] = status["recipients"][0]
        if recipient["state"] not in states:
            return recipient
        await asyncio.sleep(0.1)
    raise AssertionError(f"{message_id} still {states}")


async def test_the_clerk_who_first_opened_a_document_is_on_its_timeline(
    tmp_path: Path, backends: tuple[str, str]
) -> None:
    """B's clerk opens the mailbox (the fetch): the delivery is ``delivered`` by that clerk
    (``delivered_by``/``delivered_by_name``) for B and operators, null for the sender A;
    the console's message page, the mailbox's document page and ``lienthong status`` name
    them; the delivery row holds it, and B's token fetching it again changes nothing. A
    document B's token fetches first names no one. On SQLite + local bus and PostgreSQL +
    RabbitMQ."""
    async with live_home(tmp_path, *backends) as live:
        hub = await live.serve()
        cookie = await _clerk_cookie(live, hub)
        opened = await send_pdf(live, hub, A, B)
        await _past(live, hub, opened, "submitted")  # in B's mailbox
        await get_page(live, hub, "/mailbox", cookie)  # the inbox fetches what is pending
        by_token = await send_pdf(live, hub, A, B)
        await _past(live, hub, by_token, "submitted")
        fetched = await live.request(hub, "GET", "/api/v1/mailbox?wait=0", who=B)
        assert fetched.status == 200, fetched
        # the opened one is still pending (no answer yet): fetched again, by the token now
        assert {i["message_id"] for i in fetched.json["items"]} == {opened, by_token}

        ops = await _past(live, hub, opened, "submitted", "queued")
        assert ops["state"] == "delivered"
        assert ops["delivered_by"] == CLERK and ops["delivered_by_name"] == "Nguyễn Thị Thu"
        mine = (await _status(live, hub, opened, B))["recipients"][0]
        assert mine["delivered_by"] == CLERK
        theirs = (await _status(live, hub, opened, A))["recipients"][0]
        assert theirs["delivered_by"] is None and "delivered_by_name" not in theirs
        token_ops = await _past(live, hub, by_token, "submitted", "queued")
        assert token_ops["state"] == "delivered" and token_ops["delivered_by"] is None

        console = await _console_cookie(live, hub)
        shown = f'class="opened-by" data-person="{CLERK}">Nguyễn Thị Thu</span>'
        assert shown in await get_page(live, hub, f"/console/messages/{opened}", console)
        assert shown in await get_page(live, hub, f"/mailbox/documents/{opened}", cookie)
        token_page = await get_page(live, hub, f"/console/messages/{by_token}", console)
        assert 'class="opened-by"' not in token_page
        env = live.home.env(LIENTHONG_URL=hub.url, LIENTHONG_TOKEN=live.tokens["operator"])
        for message_id, line in ((opened, f"{B} first opened by Nguyễn Thị Thu ({CLERK})"),
                                 (by_token, None)):  # fmt: skip
            shown_cli = await asyncio.to_thread(
                subprocess.run, [LIENTHONG, "status", message_id],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            assert (line in shown_cli.stdout) if line else ("first opened" not in shown_cli.stdout)

        db = Database(backends[0])
        try:
            async with db.read() as session:
                rows = (await session.execute(
                    select(DeliveryRow.message_id, DeliveryRow.delivered_by)
                    .where(DeliveryRow.message_id.in_([opened, by_token]))
                )).all()  # fmt: skip
        finally:
            await db.dispose()
        assert dict(rows) == {opened: CLERK, by_token: None}
