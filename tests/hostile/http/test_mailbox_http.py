"""The units' web mailbox (``/mailbox``, issue 30) over HTTP against a running hub:
login as a unit, CSRF, strict CSP, receiving and answering, sending with files, recall,
registers, and one unit never reaching another's documents."""

from __future__ import annotations

import io
from pathlib import Path

import aiohttp
import pytest
from openpyxl import load_workbook
from support.livehub import A, B, live_home
from support.mailbox_client import (
    PDF,
    C,
    add_unit_c,
    blob_files,
    csrf_of,
    get_page,
    login,
    post,
    send_pdf,
)

pytestmark = [pytest.mark.slow]


async def test_login_session_csp_and_logout(tmp_path: Path, sqlite_url: str) -> None:
    """A unit token logs in (strict cookie, CSP on pages); an operator token, a bad token
    or a login from another site does not; logout needs the CSRF token; a mailbox cookie
    is no console session; revoking the token ends the session; past ten wrong tokens a
    minute from one address every login is 429 for a while, the right token too."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        first = await live.request(hub, "GET", "/mailbox")
        assert first.status == 303 and first.headers["Location"] == "/mailbox/login"
        form = {"token": live.tokens[B]}
        login = await live.request(hub, "POST", "/mailbox/login", data=form, headers={})
        cookie_line = login.headers["Set-Cookie"]
        for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/mailbox"):
            assert attribute in cookie_line, cookie_line
        cookie = {"Cookie": cookie_line.split(";", 1)[0]}
        page = await live.request(hub, "GET", "/mailbox", headers=cookie)
        assert page.status == 200 and "Huyện B" in page.body.decode()
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert page.headers["X-Frame-Options"] == "DENY"
        english = await live.request(hub, "GET", "/mailbox?lang=en", headers=cookie)
        assert "Inbox" in english.body.decode() and "Văn bản đến" not in english.body.decode()

        for token, status in ((live.tokens["operator"], 403), ("not-a-token-" * 4, 401)):
            refused = await live.request(
                hub, "POST", "/mailbox/login", data={"token": token}, headers={}
            )
            assert refused.status == status and "Set-Cookie" not in refused.headers, refused
        evil = await live.request(
            hub, "POST", "/mailbox/login", data=form, headers={"Origin": "https://evil.example"}
        )
        assert evil.status == 403 and "Set-Cookie" not in evil.headers

        as_console = {"Cookie": cookie["Cookie"].replace("lienthong_mailbox", "lienthong_console")}
        console = await live.request(hub, "GET", "/console", headers=as_console)
        assert console.status == 303 and console.headers["Location"] == "/console/login"

        no_csrf = await post(live, hub, "/mailbox/logout", cookie, {})
        assert no_csrf.status == 403 and no_csrf.code == "auth.csrf"
        out = await post(
            live, hub, "/mailbox/logout", cookie, {"csrf": csrf_of(page.body.decode())}
        )
        assert out.status == 303 and 'lienthong_mailbox=""' in out.headers["Set-Cookie"]

        live.home.cli("tokens", "revoke", live.tokens[B])
        after = await live.request(hub, "GET", "/mailbox", headers=cookie)
        assert after.status == 303 and after.headers["Location"] == "/mailbox/login"

        statuses = []
        for _ in range(12):  # one wrong token above; ten a minute from one address
            guess = {"token": "guessed-token-" + "0" * 30}
            reply = await live.request(hub, "POST", "/mailbox/login", data=guess, headers={})
            statuses.append(reply.status)
        assert statuses[:9] == [401] * 9 and statuses[-1] == 429, statuses
        right = {"token": live.tokens[A]}
        held = await live.request(hub, "POST", "/mailbox/login", data=right, headers={})
        assert held.status == 429 and int(held.headers["Retry-After"]) > 0
        assert "Set-Cookie" not in held.headers


async def test_receive_open_preview_and_answer(tmp_path: Path, sqlite_url: str) -> None:
    """B sees A's document in its inbox, opens it, downloads its files (only the PDF is
    ever inline, framable by the mailbox alone), answers 01 then 06; a rejection without
    a reason is refused with the hub's code; the sender sees the answers."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        message_id = await send_pdf(live, hub, A, B, number="12", notation="UBND-VP")
        cookie = await login(live, hub, B)
        inbox = await get_page(live, hub, "/mailbox", cookie)
        assert message_id in inbox and "12/UBND-VP" in inbox and "Huyện A" in inbox
        doc_path = f"/mailbox/documents/{message_id}"
        html = await get_page(live, hub, doc_path, cookie)
        assert "công văn.pdf" in html and "?inline=1" in html
        assert 'id="envelope-signature"' in html and 'class="verdict"' in html

        files = f"{doc_path}/files/"
        pdf = await live.request(hub, "GET", files + "c%C3%B4ng%20v%C4%83n.pdf", headers=cookie)
        assert pdf.status == 200 and pdf.body == PDF
        assert pdf.headers["Content-Disposition"].startswith("attachment")
        inline = await live.request(
            hub, "GET", files + "c%C3%B4ng%20v%C4%83n.pdf?inline=1", headers=cookie
        )
        assert inline.headers["Content-Type"] == "application/pdf"
        assert inline.headers["Content-Disposition"].startswith("inline")
        assert "frame-ancestors 'self'" in inline.headers["Content-Security-Policy"]
        page = await live.request(hub, "GET", files + "a.html?inline=1", headers=cookie)
        assert page.headers["Content-Disposition"].startswith("attachment")
        assert page.headers["X-Content-Type-Options"] == "nosniff"

        answer = f"{doc_path}/answer"
        csrf = csrf_of(html)
        no_reason = await post(live, hub, answer, cookie, {"csrf": csrf, "status": "02"})
        assert no_reason.status == 422 and "reason" in no_reason.body.decode()
        for code in ("01", "06"):
            done = await post(live, hub, answer, cookie, {"csrf": csrf, "status": code})
            assert done.status == 303, done
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        (delivery,) = status.json["recipients"]
        assert delivery["state"] == "completed"
        assert [r["status"] for r in delivery["receipts"]][-2:] == ["01", "06"]
        answered = await get_page(live, hub, doc_path, cookie)
        assert 'data-status="01"' in answered and 'data-status="06"' in answered

        sender = await login(live, hub, A)
        timeline = await get_page(live, hub, doc_path, sender)
        assert 'data-state="completed"' in timeline and "recall-form" in timeline


async def test_another_unit_reaches_nothing_and_csrf_is_refused(
    tmp_path: Path, sqlite_url: str
) -> None:
    """C, neither sender nor recipient, gets not-found for A's document to B, its files,
    an answer and a recall; B's answer without the CSRF token, with another's session's
    token, or from another site is 403 auth.csrf and changes nothing."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        add_unit_c(live)
        hub = await live.serve()
        message_id = await send_pdf(live, hub, A, B)
        stranger = await login(live, hub, C)
        doc_path = f"/mailbox/documents/{message_id}"
        html = await get_page(live, hub, "/mailbox", stranger)
        assert message_id not in html
        page = await live.request(hub, "GET", doc_path, headers=stranger)
        assert page.status == 404 and "Công văn" not in page.body.decode()
        for path in (f"{doc_path}/files/a.html", f"{doc_path}/timeline"):
            hidden = await live.request(hub, "GET", path, headers=stranger)
            assert hidden.status == 404 and hidden.code == "message.not_found", path
        csrf = csrf_of(html)
        for action, form in (("answer", {"status": "01"}), ("recall", {})):
            refused = await post(
                live, hub, f"{doc_path}/{action}", stranger, {"csrf": csrf, **form}
            )
            assert refused.status == 404, (action, refused)

        cookie = await login(live, hub, B)
        answer = f"{doc_path}/answer"
        for form, headers in (
            ({"status": "01"}, {"Origin": hub.url}),
            ({"status": "01", "csrf": csrf}, {"Origin": hub.url}),
            ({"status": "01", "csrf": csrf_of(await get_page(live, hub, doc_path, cookie))},
             {"Origin": "https://evil.example"}),
        ):  # fmt: skip
            refused = await live.request(
                hub, "POST", answer, data=form, headers={**cookie, **headers}
            )
            assert refused.status == 403 and refused.code == "auth.csrf", refused
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert status.json["recipients"][0]["receipts"] == []


def _send_form(
    csrf: str | None, fields: list[tuple[str, str]], file_first: bool = False
) -> aiohttp.FormData:
    form = aiohttp.FormData()
    if file_first:
        form.add_field("file", b"x" * 10, filename="early.txt", content_type="text/plain")
    if csrf is not None:
        form.add_field("csrf", csrf)
    for name, value in fields:
        form.add_field(name, value)
    form.add_field("file", b"bao cao " * 100, filename="báo cáo.txt", content_type="text/plain")
    form.add_field("file", b"", filename="", content_type="application/octet-stream")
    return form


async def test_send_follow_recall_and_registers(tmp_path: Path, backends: tuple[str, str]) -> None:
    """A finds B by a name typed without diacritics, sends a document with a file and
    metadata, follows B's state and recalls it; B's inbox puts the urgent one first; a
    form whose file comes before the CSRF token is refused; a group is a recipient too;
    both registers export. On SQLite + local bus and PostgreSQL + RabbitMQ."""
    async with live_home(tmp_path, *backends) as live:
        group = "000.00.00.G01"
        live.home.cli("groups", "add", group, "--members", B, "--name", "Nhóm các huyện")
        hub = await live.serve()
        cookie = await login(live, hub, A)
        compose = await get_page(live, hub, "/mailbox/compose?q=huyen%20b", cookie)
        assert f'value="{B}"' in compose and "Huyện B" in compose
        assert f'value="{A}"' not in compose  # not itself, and not a unit that does not match
        groups = await get_page(live, hub, "/mailbox/compose?q=NHOM%20CAC", cookie)
        assert f'value="{group}"' in groups and f'value="{B}"' not in groups
        csrf = csrf_of(compose)

        meta = [("to", B), ("subject", "Kế hoạch tháng"), ("number", "7"), ("notation", "KH-UBND"),
                ("doc_type", "Kế hoạch"), ("signer", "Nguyễn Văn A"), ("urgency", "Hỏa tốc"),
                ("due_date", "2020-01-31")]  # fmt: skip
        sent = await live.request(
            hub, "POST", "/mailbox/send", headers={**cookie, "Origin": hub.url},
            data=_send_form(csrf, meta),
        )  # fmt: skip
        assert sent.status == 303, sent
        ordinary = await live.request(
            hub, "POST", "/mailbox/send", headers={**cookie, "Origin": hub.url},
            data=_send_form(csrf, [("to", group), ("subject", "Thông báo thường")]),
        )  # fmt: skip
        assert ordinary.status == 303, ordinary
        message_id = sent.headers["Location"].split("/")[3].split("?")[0]
        timeline = await get_page(live, hub, sent.headers["Location"], cookie)
        assert (
            "Kế hoạch tháng" in timeline and "7/KH-UBND" in timeline and "báo cáo.txt" in timeline
        )

        blobs = blob_files(live)
        assert blobs  # the two documents sent above
        early = await live.request(
            hub, "POST", "/mailbox/send", headers={**cookie, "Origin": hub.url},
            data=_send_form(csrf, [("to", B), ("subject", "x")], file_first=True),
        )  # fmt: skip
        assert early.status == 403 and early.code == "auth.csrf"
        no_to = await live.request(
            hub, "POST", "/mailbox/send", headers={**cookie, "Origin": hub.url},
            data=_send_form(csrf, [("subject", "x")]),
        )  # fmt: skip
        assert no_to.status == 400 and "send-form" in no_to.body.decode()
        assert blob_files(live) == blobs  # the refused sends left no file behind

        receiver = await login(live, hub, B)
        inbox = await get_page(live, hub, "/mailbox", receiver)
        # the urgent one first, though the ordinary one came later
        assert inbox.index("Kế hoạch tháng") < inbox.index("Thông báo thường")
        assert '<span class="badge">Hỏa tốc</span>' in inbox
        assert "overdue-mark" in inbox

        recall = await post(
            live, hub, f"/mailbox/documents/{message_id}/recall", cookie,
            {"csrf": csrf, "reason": "gửi nhầm"},
        )  # fmt: skip
        assert recall.status == 303, recall
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert status.json["recipients"][0]["state"] == "recall_requested"
        sent_page = await get_page(live, hub, "/mailbox/sent", cookie)
        assert 'data-state="recall_requested"' in sent_page

        year = status.json["created_at"][:4]
        for who, kind, subject_col in ((receiver, "in", 6), (cookie, "out", 5)):
            path = f"/mailbox/registers.xlsx?kind={kind}&year={year}"
            xlsx = await live.request(hub, "GET", path, headers=who)
            assert xlsx.status == 200, xlsx
            rows = list(load_workbook(io.BytesIO(xlsx.body)).active.iter_rows(values_only=True))
            assert [r[subject_col] for r in rows[1:]] == ["Kế hoạch tháng", "Thông báo thường"]
            assert rows[1][0] == "1" and rows[1][3 if kind == "in" else 2] == "7/KH-UBND"
            assert "Hỏa tốc" in rows[1]
        bad = await live.request(hub, "GET", "/mailbox/registers?kind=x", headers=cookie)
        assert bad.status == 400 and bad.code == "request.invalid"
