"""Clerks' own accounts in the web mailbox (issue 30), over HTTP against a running hub:
``lienthong users add|disable|enable|list``, a username and password login beside the
unit's token, the lock after wrong passwords, the end of a disabled clerk's session, and
what a clerk does written to the audit log in their name."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from support.hubproc import LIENTHONG, HubProcess
from support.livehub import A, B, LiveHome, Reply, live_home
from support.mailbox_client import csrf_of, get_page, post, send_pdf

from gateway.store.db import Database
from gateway.store.models import AuditRow

pytestmark = [pytest.mark.slow]

PASSWORD = "mat-khau-van-thu-2027"


def _users(live: LiveHome, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``lienthong users ARGS`` on the home, ``stdin`` fed to it."""
    return subprocess.run(
        [LIENTHONG, "users", *args], env=live.home.env(), input=stdin,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


async def _login(live: LiveHome, hub: HubProcess, username: str, password: str) -> Reply:
    form = {"username": username, "password": password}
    return await live.request(hub, "POST", "/mailbox/login", data=form, headers={})


async def test_accounts_login_lock_disable_and_audit(
    tmp_path: Path, backends: tuple[str, str]
) -> None:
    """An account made by the CLI (a short password, a taken name or an unknown unit
    refused) logs in with its password and shows its name; its answer is audited as the
    person; four wrong passwords are 401, the fifth locks (429, the right one too) until
    ``users enable``; an unknown username is 401 alike; ``users disable`` ends the open
    session and every later login; the unit's token still logs in. On SQLite + local bus
    and PostgreSQL + RabbitMQ."""
    async with live_home(tmp_path, *backends) as live:
        added = _users(live, "add", B, "Van.Thu", "--name", "Nguyễn Thị Thu",
                       "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
        assert added.returncode == 0, added.stderr
        for args, stdin, code in (
            ((B, "ngan"), "short\n", "directory.invalid"),
            ((B, "van.thu"), PASSWORD + "\n", "person.exists"),
            (("000.99.99.H99", "khac"), PASSWORD + "\n", "directory.unknown_unit"),
        ):
            refused = _users(live, "add", *args, "--password-stdin", stdin=stdin)
            assert refused.returncode != 0 and code in refused.stderr, (args, refused.stderr)
        hub = await live.serve()
        message_id = await send_pdf(live, hub, A, B)

        ok = await _login(live, hub, "van.thu", PASSWORD)
        assert ok.status == 303 and ok.headers["Location"] == "/mailbox", ok
        cookie = {"Cookie": ok.headers["Set-Cookie"].split(";", 1)[0]}
        for attribute in ("HttpOnly", "Secure", "SameSite=Strict"):
            assert attribute in ok.headers["Set-Cookie"]
        inbox = await get_page(live, hub, "/mailbox", cookie)
        assert "Nguyễn Thị Thu" in inbox and message_id in inbox
        doc = f"/mailbox/documents/{message_id}"
        csrf = csrf_of(await get_page(live, hub, doc, cookie))
        no_csrf = await post(live, hub, f"{doc}/answer", cookie, {"status": "01"})
        assert no_csrf.status == 403 and no_csrf.code == "auth.csrf"
        answered = await post(live, hub, f"{doc}/answer", cookie, {"csrf": csrf, "status": "01"})
        assert answered.status == 303, answered

        db = Database(backends[0])
        try:
            async with db.read() as session:
                rows = (await session.execute(
                    select(AuditRow.actor, AuditRow.action, AuditRow.detail)
                    .where(AuditRow.actor.like("person:%")).order_by(AuditRow.seq)
                )).all()  # fmt: skip
        finally:
            await db.dispose()
        assert [(r.actor, r.action) for r in rows] == [
            (f"person:{B}/van.thu", "person.login"),
            (f"person:{B}/van.thu", "mailbox.answered"),
        ]
        assert rows[1].detail == {"status": "01"}

        statuses = []
        for _ in range(5):
            wrong = await _login(live, hub, "van.thu", "sai-mat-khau-roi")
            statuses.append((wrong.status, wrong.body.decode()))
        assert [s for s, _ in statuses] == [401, 401, 401, 401, 429], statuses
        assert "auth.invalid_password" in statuses[0][1] and "auth.account_locked" in statuses[4][1]
        held = await _login(live, hub, "van.thu", PASSWORD)
        assert held.status == 429 and int(held.headers["Retry-After"]) > 0
        assert "Set-Cookie" not in held.headers
        nobody = await _login(live, hub, "khong.co.ai", PASSWORD)
        assert nobody.status == 401 and "auth.invalid_password" in nobody.body.decode()
        listed = json.loads(_users(live, "list", "--json").stdout)
        assert listed[0]["username"] == "van.thu" and listed[0]["locked_until"]

        assert _users(live, "enable", "van.thu").returncode == 0
        again = await _login(live, hub, "VAN.THU", PASSWORD)
        assert again.status == 303, again
        assert _users(live, "disable", "van.thu").returncode == 0
        gone = await live.request(hub, "GET", "/mailbox", headers=cookie)
        assert gone.status == 303 and gone.headers["Location"] == "/mailbox/login"
        disabled = await _login(live, hub, "van.thu", PASSWORD)
        assert disabled.status == 401
        assert "disabled" in _users(live, "list", "--unit", B).stdout

        token = await live.request(
            hub, "POST", "/mailbox/login", data={"token": live.tokens[B]}, headers={}
        )
        assert token.status == 303
