"""A leader's token (``tokens create --operator NAME --scope CODE``) against a running
``lienthong serve``: every API route and console page shows the scope's part only (issue 29).

The tree: a province P, districts D1 and D2, commune C1 under D1 and C2 under D2. The
leader of D1 sees P's document to D1 and D2 (only D1's delivery), C1's document to D1,
and not D2's document to C2.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pypdf
import pytest
from support.hubproc import HubHome, HubProcess

P, D1, D2 = "000.00.00.H90", "000.00.01.H90", "000.00.02.H90"
C1, C2 = "000.01.01.H90", "000.02.01.H90"
TREE = [(P, "Tỉnh Thử", ""), (D1, "Huyện Một", P), (D2, "Huyện Hai", P),
        (C1, "Xã Mỹ Hòa Hưng", D1), (C2, "Xã Hai", D2)]  # fmt: skip


@dataclass
class Scoped:
    """The running hub, its tokens (units, "ops", "leader") and the documents by name."""

    hub: HubProcess
    home: HubHome
    docs: dict[str, str]

    async def post(self, path: str, who: str, data: object = None) -> tuple[int, bytes]:
        """POST ``data`` as JSON to ``path`` as ``who``'s bearer token."""
        headers = {"Authorization": f"Bearer {self.home.tokens[who]}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.hub.url + path, json=data, headers=headers) as r,
        ):
            return r.status, await r.read()

    async def get(self, path: str, who: str) -> tuple[int, bytes]:
        """GET ``path`` as ``who``'s bearer token."""
        headers = {"Authorization": f"Bearer {self.home.tokens[who]}"}
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.hub.url + path, headers=headers, allow_redirects=False) as r,
        ):
            return r.status, await r.read()


async def _send(world: Scoped, sender: str, to: list[str], subject: str) -> str:
    form = aiohttp.FormData()
    meta = {"to": to, "subject": subject, "due_date": "2020-01-01"}
    form.add_field(
        "metadata", json.dumps(meta, ensure_ascii=False), content_type="application/json"
    )
    form.add_field("file", b"noi dung " * 20, filename="cv.txt", content_type="text/plain")
    headers = {"Authorization": f"Bearer {world.home.tokens[sender]}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(world.hub.url + "/api/v1/messages", data=form, headers=headers) as r,
    ):
        assert r.status == 202, await r.text()
        return str((await r.json())["id"])


@pytest.fixture
async def world(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Scoped]:
    home = HubHome(tmp_path / "home", database_url=sqlite_url, bus_url="local://")
    csv = tmp_path / "units.csv"
    csv.write_text("code,name,parent\n" + "".join(f"{c},{n},{p}\n" for c, n, p in TREE))
    names = [code for code, _, _ in TREE] + ["ops", "leader"]
    outs = home.cli_batch(
        ("init",),
        ("units", "import", str(csv)),
        *(("keys", "issue", code) for code in (P, D2, C1)),
        *(("tokens", "create", code) for code, _, _ in TREE),
        ("tokens", "create", "--operator", "ops"),
        ("tokens", "create", "--operator", "Chủ tịch huyện", "--scope", D1),
    )
    home.tokens.update(zip(names, (out.strip() for out in outs[-len(names) :]), strict=True))
    hub = home.process()
    await hub.start()
    world = Scoped(hub, home, {})
    try:
        world.docs["from_p"] = await _send(world, P, [D1, D2], "Chỉ đạo của tỉnh")
        world.docs["outside"] = await _send(world, D2, [C2], "Việc riêng huyện hai")
        world.docs["inside"] = await _send(world, C1, [D1], "Báo cáo của xã")
        yield world
    finally:
        await hub.stop()


def test_cli_scope_is_for_operators_and_known_units(tmp_path: Path, sqlite_url: str) -> None:
    """--scope needs --operator and a unit of the directory; tokens list shows it."""
    home = HubHome(tmp_path / "home", database_url=sqlite_url, bus_url="local://")
    home.cli("init")
    with pytest.raises(RuntimeError, match="--scope is for an --operator"):
        home.cli("tokens", "create", "000.00.00.H01", "--scope", "000.00.00.H01")
    with pytest.raises(RuntimeError, match=r"no unit 000\.00\.09\.H90"):
        home.cli("tokens", "create", "--operator", "x", "--scope", "000.00.09.H90")
    csv = tmp_path / "u.csv"
    csv.write_text(f"code,name,parent\n{P},Tỉnh,\n")
    home.cli("units", "import", str(csv))
    home.cli("tokens", "create", "--operator", "lead", "--scope", P)
    assert f"operator:lead@{P}" in home.cli("tokens", "list")


async def test_status_follows_the_scope(world: Scoped) -> None:
    """The leader reads a status touching its scope (only its own deliveries of a message
    sent from outside), and a message outside it does not exist for the leader."""
    status, body = await world.get(f"/api/v1/messages/{world.docs['from_p']}/status", "leader")
    assert status == 200
    assert [r["unit"] for r in json.loads(body)["recipients"]] == [D1]
    status, body = await world.get(f"/api/v1/messages/{world.docs['inside']}/status", "leader")
    assert status == 200 and [r["unit"] for r in json.loads(body)["recipients"]] == [D1]
    for path in (f"/api/v1/messages/{world.docs['outside']}/status",
                 f"/api/v1/messages/{world.docs['outside']}",
                 f"/api/v1/messages/{world.docs['outside']}/attachments/cv.txt"):  # fmt: skip
        status, body = await world.get(path, "leader")
        assert status == 404 and json.loads(body)["error"]["code"] == "message.not_found"
        assert (await world.get(path, "ops"))[0] == 200  # the whole hub's operator sees it


async def test_search_export_summary_and_overdue_follow_the_scope(world: Scoped) -> None:
    """Search, its CSV and XLSX, the unit summary and the overdue list: the scope only."""
    status, body = await world.get("/api/v1/messages", "leader")
    found = {i["id"] for i in json.loads(body)["items"]}
    assert status == 200 and found == {world.docs["from_p"], world.docs["inside"]}
    everything = {
        i["id"] for i in json.loads((await world.get("/api/v1/messages", "ops"))[1])["items"]
    }
    assert world.docs["outside"] in everything
    status, csv = await world.get("/api/v1/messages?format=csv", "leader")
    assert status == 200 and world.docs["inside"].encode() in csv
    assert world.docs["outside"].encode() not in csv and b"Huy\xe1\xbb\x87n Hai" not in csv
    status, xlsx = await world.get("/api/v1/messages?format=xlsx", "leader")
    assert status == 200 and xlsx[:2] == b"PK"
    status, body = await world.get("/api/v1/units/summary", "leader")
    assert status == 200 and {i["unit"] for i in json.loads(body)["items"]} == {D1, C1}
    status, body = await world.get("/api/v1/overdue", "leader")
    recipients = {i["recipient"] for i in json.loads(body)["items"]}
    assert status == 200 and recipients == {D1}
    all_overdue = json.loads((await world.get("/api/v1/overdue", "ops"))[1])["items"]
    assert {i["recipient"] for i in all_overdue} == {D1, D2, C2}


async def test_dead_letters_and_unit_changes_are_the_whole_hubs(world: Scoped) -> None:
    """A leader may not list or resolve dead letters, nor change units (403
    auth.forbidden); it reads the lineage of its own units only (else 404)."""
    status, body = await world.get("/api/v1/dead-letters", "leader")
    assert status == 403 and json.loads(body)["error"]["code"] == "auth.forbidden"
    assert (await world.get("/api/v1/dead-letters", "ops"))[0] == 200
    for path, data in (("/api/v1/dead-letters/x-1/retry", None),
                       (f"/api/v1/units/{C1}/rename", {"name": "Xã Mới"})):  # fmt: skip
        status, body = await world.post(path, "leader", data)
        assert status == 403 and json.loads(body)["error"]["code"] == "auth.forbidden", path
    assert (await world.get(f"/api/v1/units/{C1}", "leader"))[0] == 200
    status, body = await world.get(f"/api/v1/units/{D2}", "leader")
    assert status == 404 and json.loads(body)["error"]["code"] == "directory.unknown_unit"
    assert (await world.get(f"/api/v1/units/{D2}", "ops"))[0] == 200
    async with await _console(world, "leader") as client:
        page = await (await client.get(f"{world.hub.url}/console")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        form = {"csrf": csrf.group(1), "confirm": "yes"}
        for action in ("retry", "discard"):
            url = f"{world.hub.url}/console/dead-letters/x-1/{action}"
            async with client.post(url, data=form) as r:
                assert r.status == 403 and "auth.forbidden" in await r.text()


async def _console(world: Scoped, who: str) -> aiohttp.ClientSession:
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[world.hub.url])
    client = aiohttp.ClientSession(cookie_jar=jar)
    login = {"token": world.home.tokens[who]}
    async with client.post(f"{world.hub.url}/console/login", data=login) as r:
        assert r.status == 200 and r.url.path == "/console", await r.text()
    return client


async def test_console_pages_follow_the_scope(world: Scoped) -> None:
    """Overview, search, CSV, message pages, units and dead letters: the scope's part."""
    url, docs = world.hub.url, world.docs
    async with await _console(world, "leader") as client:
        async with client.get(f"{url}/console") as r:
            page = await r.text()
        assert "Huyện Một" in page and "Xã Hai" not in page and "Phạm vi" in page
        assert "/console/dead-letters" not in page  # not in the leader's menu
        assert re.search(r'id="n-overdue">2<', page)  # from_p and inside, at D1
        async with client.get(f"{url}/console/messages") as r:
            page = await r.text()
        assert docs["from_p"] in page and docs["inside"] in page and docs["outside"] not in page
        async with client.get(f"{url}/console/messages.csv") as r:
            assert docs["outside"] not in await r.text()
        async with client.get(f"{url}/console/messages/{docs['outside']}") as r:
            assert r.status == 404 and "Không có văn bản này" in await r.text()
        async with client.get(f"{url}/console/messages/{docs['from_p']}") as r:
            page = await r.text()
        assert r.status == 200 and f'data-unit="{D1}"' in page and f'data-unit="{D2}"' not in page
        async with client.get(f"{url}/console/units") as r:
            page = await r.text()
        assert C1 in page and D2 not in page and C2 not in page and P not in page
        async with client.get(f"{url}/console/units?not_seen_days=0") as r:
            codes = re.findall(r'<td class="code">([^<]+)</td>', await r.text())
        assert sorted(codes) == sorted([C1, D1])
        async with client.get(f"{url}/console/dead-letters") as r:
            assert r.status == 403 and "auth.forbidden" in await r.text()
        async with client.get(f"{url}/console/dashboard") as r:
            page = await r.text()
        assert r.status == 200 and 'id="chart-daily"' in page
        assert f'data-unit="{C1}"' in page and f'data-unit="{D2}"' not in page
        assert re.search(r'id="n-sent">1<', page)  # C1's report, not P's or D2's documents
        for outside in (D2, C2, P):
            async with client.get(f"{url}/console/dashboard?unit={outside}") as r:
                assert r.status == 404, outside
    async with await _console(world, "ops") as client, client.get(f"{url}/console/units") as r:
        assert D2 in await r.text()  # the whole hub's operator sees every unit


async def test_console_events_follow_the_scope(world: Scoped) -> None:
    """The live stream carries the scope's events, never another unit's."""
    client = await _console(world, "leader")
    async with client, client.get(f"{world.hub.url}/console/events") as stream:
        assert stream.status == 200
        await stream.content.readline()  # ": connected"
        outside = await _send(world, D2, [C2], "Ngoài phạm vi")
        inside = await _send(world, C1, [D1], "Trong phạm vi")
        seen: list[dict[str, str]] = []
        async with asyncio.timeout(30):
            while not any(e["message_id"] == inside for e in seen):
                line = (await stream.content.readline()).decode()
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
    assert all(e["unit"] in (D1, C1) for e in seen)
    assert all(e["message_id"] != outside for e in seen)


async def test_monthly_report_from_the_cli_and_the_console(world: Scoped, tmp_path: Path) -> None:
    """`report monthly --scope D1` and the console's button give the scope's month as XLSX,
    in Vietnamese; another scope's unit is 404 for the leader, a bad month refused."""
    from datetime import datetime

    from openpyxl import load_workbook

    from gateway.console.people import LOCAL

    month = datetime.now(LOCAL).strftime("%Y-%m")
    out = tmp_path / "bao-cao.xlsx"
    world.home.cli("report", "monthly", "--scope", D1, "--month", month, "-o", str(out))
    book = load_workbook(out)
    assert book.sheetnames == ["Tổng hợp", "Theo đơn vị", "Văn bản quá hạn"]
    summary = {r[0]: r[1] for r in book["Tổng hợp"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Phạm vi"] == f"Huyện Một ({D1})" and summary["Văn bản gửi đi"] == 1
    assert summary["Văn bản nhận"] == 2  # P's document and C1's report, at D1
    units = [r[0] for r in book["Theo đơn vị"].iter_rows(min_row=2, values_only=True)]
    assert sorted(units) == sorted([D1, C1])
    subjects = [r[0] for r in book["Văn bản quá hạn"].iter_rows(min_row=2, values_only=True)]
    assert sorted(subjects) == sorted(["Chỉ đạo của tỉnh", "Báo cáo của xã"])
    with pytest.raises(RuntimeError, match="YYYY-MM"):
        world.home.cli("report", "monthly", "--month", "11/2026", "-o", str(out))
    with pytest.raises(RuntimeError, match=r"unknown_unit|no unit"):
        world.home.cli(
            "report", "monthly", "--scope", "000.00.77.H90", "--month", month, "-o", str(out)
        )
    url = world.hub.url
    async with await _console(world, "leader") as client:
        async with client.get(f"{url}/console/report.xlsx?month={month}") as r:
            body = await r.read()
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
        assert body[:2] == b"PK" and b"Huy\xe1\xbb\x87n Hai" not in body
        async with client.get(f"{url}/console/report.xlsx?month={month}&unit={D2}") as r:
            assert r.status == 404
        async with client.get(f"{url}/console/report.xlsx?month=2026-13") as r:
            assert r.status == 400 and "request.bad_parameter" in await r.text()
        async with client.get(f"{url}/console/report.pdf?month={month}") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "application/pdf"
            from_console = await r.read()
    pdf = tmp_path / "bao-cao.pdf"
    world.home.cli("report", "monthly", "--scope", D1, "--month", month, "-o", str(pdf))
    for body in (pdf.read_bytes(), from_console):
        text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)
        assert f"Huyện Một ({D1})" in text and "Chỉ đạo của tỉnh" in text
        assert "Huyện Hai" not in text and "Việc riêng huyện hai" not in text
