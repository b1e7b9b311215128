"""Hostile input at the front doors added since ef43b44, over HTTP against one running
``lienthong serve`` (SQLite + local bus): the console's unit change pages, the web
mailbox's clerk login, notices dismissal, revoke and replace, the API's unit changes and
signed receipts. Every refusal is a 4xx with a stable code, no 500 and no traceback, and
the hub's rows (units, links, scheduled changes, messages, mailbox items, audit log) are
as they were before (issue 21's standard)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from support.hubproc import HubProcess
from support.livehub import A, B, LiveHome, Reply, live_home
from support.mailbox_client import C, add_unit_c, csrf_of, get_page, login, send_pdf

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]

UNKNOWN = "000.99.99.H99"
_TABLES = (
    "units", "unit_links", "unit_changes", "messages", "mailbox_items", "audit_log",
    "deliveries", "receipts", "people",
)  # fmt: skip


@dataclass
class Front:
    """The running hub, its home and the sessions the tests post with."""

    live: LiveHome
    hub: HubProcess
    db: Path
    console: dict[str, str]
    console_csrf: str
    leader: dict[str, str]
    leader_csrf: str
    mailbox: dict[str, dict[str, str]]
    mailbox_csrf: dict[str, str]
    #: A document A sent to B.
    message_id: str

    def snapshot(self) -> dict[str, Any]:
        """Every row of the tables a refused request must leave as they were."""
        with sqlite3.connect(self.db) as con:
            return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in _TABLES}

    async def settled(self) -> dict[str, Any]:
        """The snapshot once the hub's own background work (deliveries) has stopped
        changing it."""
        last = self.snapshot()
        for _ in range(40):
            await asyncio.sleep(0.5)
            now = self.snapshot()
            if now == last:
                return now
            last = now
        raise AssertionError("the hub's rows kept changing")

    async def get(self, path: str, cookie: dict[str, str]) -> Reply:
        return await self.live.request(self.hub, "GET", path, headers=cookie)

    async def post(self, path: str, cookie: dict[str, str], data: Any, **headers: str) -> Reply:
        all_headers = {**cookie, "Origin": self.hub.url, **headers}
        return await self.live.request(self.hub, "POST", path, data=data, headers=all_headers)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def front(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Front]:
    root = tmp_path_factory.mktemp("front")
    db = root / "hub.db"
    async with live_home(root, f"sqlite+aiosqlite:///{db}", "local://") as live:
        add_unit_c(live)
        leader = live.home.cli("tokens", "create", "--operator", "lead", "--scope", A).strip()
        hub = await live.serve()
        cookies, tokens = {}, {"console": live.tokens["operator"], "leader": leader}
        for who, token in tokens.items():
            reply = await live.request(
                hub, "POST", "/console/login", data={"token": token}, headers={}
            )
            assert reply.status == 303, reply
            cookies[who] = {"Cookie": reply.headers["Set-Cookie"].split(";", 1)[0]}
        console_page = await get_page(live, hub, f"/console/units/{C}/change", cookies["console"])
        leader_page = await get_page(live, hub, "/console", cookies["leader"])
        message_id = await send_pdf(live, hub, A, B)
        mailbox = {u: await login(live, hub, u) for u in (A, B, C)}
        mailbox_csrf = {
            u: csrf_of(await get_page(live, hub, "/mailbox", c)) for u, c in mailbox.items()
        }
        yield Front(
            live, hub, db, cookies["console"], csrf_of(console_page), cookies["leader"],
            csrf_of(leader_page), mailbox, mailbox_csrf, message_id,
        )  # fmt: skip


def code_of(reply: Reply) -> str | None:
    """The stable code of a refusal: the JSON error's, the console page's ``<code>`` in
    its error line, or the mailbox page's bracketed code."""
    if reply.code:
        return str(reply.code)
    text = reply.body.decode("utf-8", "replace")
    found = re.search(r'id="error"[^>]*>.*?<code>([\w.]+)</code>', text, re.S) or re.search(
        r'id="error"[^>]*>[^<]*\(([a-z_]+\.[a-z_.]+)\)</p>', text
    )
    return found.group(1) if found else None


def assert_refused(reply: Reply, status: int, code: str) -> None:
    """A typed 4xx with its stable code, and no traceback in the body."""
    body = reply.body.decode("utf-8", "replace")
    assert "Traceback" not in body and 'File "' not in body, body[:500]
    assert (reply.status, code_of(reply)) == (status, code), str(reply)


def _change(code: str, action: str) -> str:
    return f"/console/units/{code}/change/{action}"


CONSOLE_POSTS = [
    pytest.param(_change(C, "merge"), {"into": B}, 403, "auth.csrf", id="no-csrf"),
    pytest.param(_change(C, "merge"), {"csrf": "x", "into": B}, 403, "auth.csrf", id="wrong-csrf"),
    pytest.param(
        _change(C, "merge"), {"into": UNKNOWN}, 422, "directory.unknown_unit", id="unknown-into"
    ),
    pytest.param(_change(C, "merge"), {}, 400, "request.missing_field", id="missing-into"),
    pytest.param(
        _change(C, "merge"),
        {"into": B, "at": "0001-01-01T00:00"},
        422,
        "directory.invalid",
        id="year-1",
    ),
    pytest.param(
        _change(C, "merge"),
        {"into": B, "at": "0001-01-01T00:00", "confirm": "yes"},
        422,
        "directory.invalid",
        id="year-1-confirmed",
    ),
    pytest.param(
        _change(C, "merge"),
        {"into": B, "at": "9999-12-31T23:59-12:00", "confirm": "yes"},
        422,
        "directory.invalid",
        id="year-9999-confirmed",
    ),
    pytest.param(
        _change(C, "merge"),
        {"into": B, "at": "99999-01-01T00:00"},
        422,
        "directory.invalid",
        id="year-99999",
    ),
    pytest.param(
        _change(C, "merge"),
        {"into": B, "at": "2026-13-45T00:00"},
        422,
        "directory.invalid",
        id="month-13",
    ),
    pytest.param(
        _change(C, "merge"),
        {"into": B, "at": "x" * 10000},
        422,
        "directory.invalid",
        id="oversized-at",
    ),
    pytest.param(
        _change(C, "merge"),
        {"into": C, "confirm": "yes"},
        422,
        "directory.invalid",
        id="into-itself",
    ),
    pytest.param(
        _change(C, "recode"),
        {"new_code": "../../etc/passwd", "confirm": "yes"},
        422,
        "directory.bad_unit_code",
        id="traversal-code",
    ),
    pytest.param(
        _change(C, "recode"),
        {"new_code": B, "confirm": "yes"},
        409,
        "directory.unit_exists",
        id="taken-code",
    ),
    pytest.param(
        _change(C, "recode"),
        {"new_code": "9" * 100_000},
        422,
        "directory.bad_unit_code",
        id="huge-code",
    ),
    pytest.param(
        _change(C, "move"), {"parent": C, "confirm": "yes"}, 422, "directory.cycle", id="own-parent"
    ),
    pytest.param(
        _change(C, "rename"),
        {"name": "a\x00b\x1b", "confirm": "yes"},
        400,
        "request.bad_text",
        id="control-chars",
    ),
    pytest.param(
        _change(C, "rename"),
        {"name": "", "confirm": "yes"},
        400,
        "request.missing_field",
        id="empty-name",
    ),
    pytest.param(
        _change(C, "rename"),
        {"name": "x" * 200_000, "confirm": "yes"},
        422,
        "directory.invalid",
        id="huge-name",
    ),
    pytest.param(
        _change(C, "split"),
        {"into": '[{"x": 1}]', "confirm": "yes"},
        422,
        "directory.invalid",
        id="split-garbage",
    ),
    pytest.param(
        _change(C, "retire"),
        {"successor": "\u202e", "confirm": "yes"},
        422,
        "directory.unknown_unit",
        id="bidi-successor",
    ),
    pytest.param(
        _change(UNKNOWN, "rename"),
        {"name": "x", "confirm": "yes"},
        422,
        "directory.unknown_unit",
        id="unknown-unit",
    ),
    pytest.param(
        "/console/units/..%2F..%2Fetc/change/rename",
        {"name": "x", "confirm": "yes"},
        422,
        "directory.unknown_unit",
        id="traversal-unit",
    ),
]


@pytest.mark.parametrize(("path", "form", "status", "code"), CONSOLE_POSTS)
async def test_console_unit_change_refuses_hostile_forms(
    front: Front, path: str, form: dict[str, str], status: int, code: str
) -> None:
    """A hostile unit change form is a typed 4xx page and changes nothing."""
    data = form if code == "auth.csrf" else {"csrf": front.console_csrf, **form}
    before = await front.settled()
    assert_refused(await front.post(path, front.console, data), status, code)
    assert front.snapshot() == before


@pytest.mark.parametrize(
    "path",
    [f"/console/units/{UNKNOWN}/change", "/console/units/..%2F..%2Fetc/change",
     "/console/units/%FF%FE/change", "/console/units/%00/change"],
)  # fmt: skip
async def test_console_unit_change_page_of_no_unit(front: Front, path: str) -> None:
    """The change page of an unknown, traversing or non-UTF-8 unit code is a typed page."""
    assert_refused(await front.get(path, front.console), 422, "directory.unknown_unit")


async def test_console_unit_change_raw_bodies(front: Front) -> None:
    """A form body in an unknown charset, a duplicated field and a multipart file in
    place of a text field are refused; nothing changes."""
    before = await front.settled()
    raw = b"csrf=" + front.console_csrf.encode() + b"&into=\xff\xfe&confirm=yes"
    reply = await front.post(
        _change(C, "merge"), front.console, raw,
        **{"Content-Type": "application/x-www-form-urlencoded; charset=latin-9"},
    )  # fmt: skip
    assert_refused(reply, 400, "request.malformed")
    duplicated = [("csrf", front.console_csrf), ("into", UNKNOWN), ("into", UNKNOWN)]
    reply = await front.post(_change(C, "merge"), front.console, [*duplicated, ("confirm", "yes")])
    assert_refused(reply, 400, "request.invalid")
    as_file = aiohttp.FormData()
    as_file.add_field("csrf", front.console_csrf)
    as_file.add_field("name", b"\xff\xfe", filename="ten.txt")
    as_file.add_field("confirm", "yes")
    reply = await front.post(_change(C, "rename"), front.console, as_file)
    assert_refused(reply, 400, "request.missing_field")
    assert front.snapshot() == before


async def test_console_unit_change_is_the_whole_hubs(front: Front) -> None:
    """A leader (an operator with a scope) sees no change page and changes nothing."""
    before = await front.settled()
    assert_refused(
        await front.get(f"/console/units/{A}/change", front.leader), 403, "auth.forbidden"
    )
    form = {"csrf": front.leader_csrf, "name": "Đổi tên", "confirm": "yes"}
    assert_refused(
        await front.post(_change(A, "rename"), front.leader, form), 403, "auth.forbidden"
    )
    assert front.snapshot() == before


async def test_api_unit_change_dates_out_of_range(front: Front) -> None:
    """The API's unit change refuses an instant before 1970 or past 2999 (year 1 in
    Vietnam time overflowed to a 500)."""
    before = await front.settled()
    for at in ("0001-01-01T00:00+07:00", "9999-12-31T23:59-12:00", "9999-01-01T00:00+00:00"):
        reply = await front.live.request(
            front.hub, "POST", f"/api/v1/units/{C}/merge", who="operator",
            json={"into": B, "at": at},
        )  # fmt: skip
        assert_refused(reply, 422, "directory.invalid")
    assert front.snapshot() == before


LOGINS = [
    pytest.param({"username": "van.thu"}, 401, "auth.required", id="no-password"),
    pytest.param(
        {"username": "van.thu", "password": "p" * 1_000_000},
        401,
        "auth.invalid_password",
        id="huge-password",
    ),
    pytest.param(
        {"username": "u" * 100_000, "password": "p"},
        401,
        "auth.invalid_password",
        id="huge-username",
    ),
    pytest.param(
        {"username": "a\x00b", "password": "p"}, 401, "auth.invalid_password", id="nul-username"
    ),
    pytest.param(
        [("username", "a"), ("username", "b"), ("password", "p")],
        401,
        "auth.invalid_password",
        id="duplicate",
    ),
    pytest.param({"token": " \x00 "}, 401, "auth.invalid_token", id="blank-token"),
    pytest.param("operator", 403, "auth.forbidden", id="operator-token"),
]


@pytest.mark.parametrize(("form", "status", "code"), LOGINS)
async def test_mailbox_login_refuses_hostile_forms(
    front: Front, form: Any, status: int, code: str
) -> None:
    """A hostile mailbox login is a typed 4xx page and opens no session."""
    if form == "operator":
        form = {"token": front.live.tokens["operator"]}
    reply = await front.live.request(front.hub, "POST", "/mailbox/login", data=form, headers={})
    assert_refused(reply, status, code)
    assert "Set-Cookie" not in reply.headers


async def test_mailbox_login_other_site_and_bad_bytes(front: Front) -> None:
    """A login posted from another site is 403; a body that is not UTF-8 is 400."""
    form = {"token": front.live.tokens[A]}
    reply = await front.live.request(
        front.hub, "POST", "/mailbox/login", data=form, headers={"Origin": "https://evil.example"}
    )
    assert_refused(reply, 403, "auth.csrf")
    reply = await front.live.request(
        front.hub, "POST", "/mailbox/login", data=b"username=\xff\xfe&password=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert_refused(reply, 400, "request.malformed")
    assert "Set-Cookie" not in reply.headers


NOTICE_ACKS = [
    pytest.param({"item": "1"}, 403, "auth.csrf", id="no-csrf"),
    pytest.param({"csrf": "other", "item": "1"}, 403, "auth.csrf", id="wrong-csrf"),
    pytest.param({"csrf": "B", "item": "1"}, 403, "auth.csrf", id="another-units-csrf"),
    pytest.param({}, 400, "request.invalid", id="no-item"),
    pytest.param({"item": "abc"}, 400, "request.invalid", id="not-a-number"),
    pytest.param({"item": "-1"}, 400, "request.invalid", id="negative"),
    pytest.param({"item": "9" * 5000}, 400, "request.invalid", id="huge-number"),
    pytest.param({"item": "١٢"}, 400, "request.invalid", id="arabic-digits"),
]


@pytest.mark.parametrize(("form", "status", "code"), NOTICE_ACKS)
async def test_mailbox_notices_ack_refuses_hostile_forms(
    front: Front, form: dict[str, str], status: int, code: str
) -> None:
    """A hostile notices dismissal (A's session) is a typed 4xx and changes nothing."""
    csrf = form.get("csrf")
    data = dict(form)
    if csrf is None and code != "auth.csrf":
        data["csrf"] = front.mailbox_csrf[A]
    elif csrf == "B":
        data["csrf"] = front.mailbox_csrf[B]
    before = await front.settled()
    assert_refused(await front.post("/mailbox/notices/ack", front.mailbox[A], data), status, code)
    assert front.snapshot() == before


async def test_mailbox_compose_change_of_no_own_document(front: Front) -> None:
    """The replace/update form of an unknown, traversing or another unit's document, or
    of an unknown kind, is a typed 4xx page."""
    a, b, mid = front.mailbox[A], front.mailbox[B], front.message_id
    for path, cookie, status, code in (
        (f"/mailbox/compose?refers_to={UNKNOWN}", a, 404, "message.not_found"),
        ("/mailbox/compose?refers_to=..%2F..%2Fetc%2Fpasswd", a, 404, "message.not_found"),
        ("/mailbox/compose?refers_to=%FF", a, 404, "message.not_found"),
        (f"/mailbox/compose?refers_to={mid}&kind=revoke", a, 400, "request.invalid"),
        (f"/mailbox/compose?refers_to={mid}", b, 422, "request.bad_reference"),
    ):
        assert_refused(await front.get(path, cookie), status, code)


SENDS = [
    pytest.param(
        A, [("kind", "revoke"), ("refers_to", UNKNOWN)], 400, "request.invalid", id="revoke-unknown"
    ),
    pytest.param(
        B,
        [("kind", "replace"), ("refers_to", "{mid}")],
        422,
        "request.bad_reference",
        id="replace-anothers",
    ),
    pytest.param(
        A, [("kind", "explode"), ("refers_to", "{mid}")], 400, "request.invalid", id="unknown-kind"
    ),
    pytest.param(
        A,
        [("kind", "update"), ("refers_to", "../../etc/passwd")],
        400,
        "request.invalid",
        id="traversal-ref",
    ),
    pytest.param(
        A,
        [("kind", "replace"), ("kind", "revoke"), ("refers_to", "{mid}")],
        400,
        "request.invalid",
        id="duplicate-kind",
    ),
    pytest.param(A, [("refers_to", "x" * 20_000)], 400, "request.invalid", id="oversized-field"),
]


@pytest.mark.parametrize(("who", "fields", "status", "code"), SENDS)
async def test_mailbox_send_refuses_hostile_changes(
    front: Front, who: str, fields: list[tuple[str, str]], status: int, code: str
) -> None:
    """A send form whose kind or reference is hostile is a typed 4xx and stores nothing."""
    form = aiohttp.FormData()
    form.add_field("csrf", front.mailbox_csrf[who])
    form.add_field("to", C)
    form.add_field("subject", "Thay thế")
    for name, value in fields:
        form.add_field(name, value.format(mid=front.message_id))
    form.add_field("file", b"ban moi", filename="ban-moi.txt", content_type="text/plain")
    before = await front.settled()
    assert_refused(await front.post("/mailbox/send", front.mailbox[who], form), status, code)
    assert await front.settled() == before


REVOKES = [
    pytest.param(A, "{mid}", {"reason": "x"}, 403, "auth.csrf", id="no-csrf"),
    pytest.param(
        B,
        "{mid}",
        {"reason": "không phải của tôi"},
        422,
        "request.bad_reference",
        id="not-the-sender",
    ),
    pytest.param(A, "nope", {"reason": "x"}, 404, "message.not_found", id="unknown-id"),
    pytest.param(A, "..%2F..%2Fetc", {"reason": "x"}, 404, "message.not_found", id="traversal-id"),
    pytest.param(A, "{mid}", {"reason": "\x00\x1b"}, 400, "request.bad_text", id="control-chars"),
    pytest.param(A, "{mid}", {"reason": "r" * 300_000}, 400, "request.invalid", id="huge-reason"),
]


@pytest.mark.parametrize(("who", "target", "form", "status", "code"), REVOKES)
async def test_mailbox_revoke_refuses_hostile_forms(
    front: Front, who: str, target: str, form: dict[str, str], status: int, code: str
) -> None:
    """A hostile revocation from the document page is a typed 4xx and sends nothing."""
    data = dict(form) if code == "auth.csrf" else {"csrf": front.mailbox_csrf[who], **form}
    path = f"/mailbox/documents/{target.format(mid=front.message_id)}/revoke"
    before = await front.settled()
    assert_refused(await front.post(path, front.mailbox[who], data), status, code)
    assert front.snapshot() == before


async def test_replayed_forms_change_once(front: Front) -> None:
    """A revocation or a confirmed unit change posted twice is made once; the replay is
    a typed 4xx and changes nothing."""
    mid = await send_pdf(front.live, front.hub, A, C)
    revoke = f"/mailbox/documents/{mid}/revoke"
    form = {"csrf": front.mailbox_csrf[A], "reason": "nhầm"}
    assert (await front.post(revoke, front.mailbox[A], form)).status == 303
    before = await front.settled()
    assert_refused(await front.post(revoke, front.mailbox[A], form), 422, "request.bad_reference")
    assert front.snapshot() == before

    retire = {"csrf": front.console_csrf, "successor": B, "confirm": "yes", "at": ""}
    first = await front.post(_change(C, "retire"), front.console, retire)
    assert first.status == 303, first
    before = await front.settled()
    assert_refused(
        await front.post(_change(C, "retire"), front.console, retire), 409, "directory.unit_retired"
    )
    assert front.snapshot() == before


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Status>&lol3;</Status>"""


@pytest.mark.parametrize(
    "body",
    [BOMB, b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
     b"\xff\xfe<x/>", b"<x>" * 10_000],
    ids=["billion-laughs", "external-entity", "not-utf8", "deep"],
)  # fmt: skip
async def test_signed_receipt_refuses_hostile_xml(front: Front, body: bytes) -> None:
    """A receipt body that is an XML bomb, an external entity, not UTF-8 or nested
    deep is a typed 4xx and records no receipt."""
    before = await front.settled()
    reply = await front.live.request(
        front.hub, "POST", f"/api/v1/messages/{front.message_id}/receipts", who=B,
        data=body, headers={"Content-Type": "application/xml"},
    )  # fmt: skip
    assert 400 <= reply.status < 500 and reply.code, str(reply)
    assert "Traceback" not in reply.body.decode("utf-8", "replace")
    assert front.snapshot() == before


async def test_refused_submissions_give_back_their_admission_slot(
    tmp_path: Path, sqlite_url: str
) -> None:
    """With one submission slot ([hub] max_inflight_submissions = 1), hostile submissions
    are typed 4xx, not 503 hub.overloaded, and never keep the slot: a good one after them
    is accepted."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        config = live.home.root / "config.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace("[hub]\n", "[hub]\nmax_inflight_submissions = 1\n", 1), encoding="utf-8"
        )
        hub = await live.serve()
        xml = {"Content-Type": "application/xml"}
        for body, headers in (
            (BOMB, xml),
            (b"\xff\xfe<x/>", xml),
            (b"<x>" * 10_000, xml),
            (b'{"to": [', {"Content-Type": "application/json"}),
        ):
            for _ in range(3):
                reply = await live.request(
                    hub, "POST", "/api/v1/messages", who=A, data=body, headers=headers
                )
                assert 400 <= reply.status < 500 and reply.code, str(reply)
                assert reply.code != "hub.overloaded"
        accepted = await live.send(hub, A, subject="Sau các lần bị từ chối")
        assert accepted.status == 202, accepted
