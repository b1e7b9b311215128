"""Search and exports over HTTP, on both stacks: Vietnamese text, units by name, CSV/XLSX.

A real hub behind a real HTTP server (SQLite + local bus, PostgreSQL + RabbitMQ); text
goes in as clients send it (NFD included) and comes back found and NFC.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from typing import Any
from urllib.parse import quote

import aiohttp
import openpyxl
import pytest

from gateway.exports import COLUMNS, DELIVERY_STATES
from tests.support.api_world import PROV, A, B, C, World

pytestmark = pytest.mark.integration


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


async def send(world: World, sender: str, to: str, subject: str, filename: str) -> str:
    """Submit one document with one file named ``filename``, as ``sender``."""
    form = aiohttp.FormData()
    metadata = json.dumps({"to": [to], "subject": subject}, ensure_ascii=False)
    form.add_field("metadata", metadata, content_type="application/json")
    form.add_field("file", b"%PDF-1.4 x", filename=filename, content_type="application/pdf")
    resp = await world.client.post("/api/v1/messages", data=form, headers=world.auth(sender))
    assert resp.status == 202, await resp.text()
    return str((await resp.json())["id"])


async def search(world: World, **params: str) -> dict[str, Any]:
    resp = await world.client.get("/api/v1/messages", params=params, headers=world.auth("operator"))
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


@pytest.fixture
async def sent(world: World) -> dict[str, str]:
    """Three documents: an NFD plan A→B, an upper-case plan PROV→C, a report A→B."""
    return {
        "plan": await send(world, A, B, nfd("Kế hoạch năm 2027"), nfd("kế hoạch.pdf")),
        "flood": await send(world, PROV, C, "KẾ HOẠCH phòng chống lũ", "lu.pdf"),
        "report": await send(world, A, B, '=HYPERLINK("x") Báo cáo đường', "bc.pdf"),
    }


async def test_subject_search_without_case_or_diacritics(
    world: World, sent: dict[str, str]
) -> None:
    """`ke hoach`, `KẾ HOẠCH` and NFD text find both plans; the stored subject is NFC."""
    for q in ("ke hoach", "KẾ HOẠCH", nfd("kế hoạch")):
        body = await search(world, q=q)
        assert [i["id"] for i in body["items"]] == [sent["flood"], sent["plan"]], q
    plan = next(i for i in (await search(world, q="nam 2027"))["items"])
    assert plan["subject"] == "Kế hoạch năm 2027"
    assert [i["id"] for i in (await search(world, q="DUONG"))["items"]] == [sent["report"]]


async def test_unit_by_name_and_a_hint_when_none(world: World, sent: dict[str, str]) -> None:
    """`unit=huyen c` finds C's document and says which unit it meant; an unknown name
    gives no items and a hint."""
    body = await search(world, unit="huyen c")
    assert [i["id"] for i in body["items"]] == [sent["flood"]]
    assert body["units"] == [{"code": C, "name": "Huyện C"}] and "hint" not in body
    by_code = await search(world, unit=C.lower(), q="lu")
    assert [i["id"] for i in by_code["items"]] == [sent["flood"]]
    none = await search(world, unit="Xín Cái")
    assert none["items"] == [] and "Xín Cái" in none["hint"]
    wild = await search(world, unit="%", q="_")  # LIKE wildcards are plain characters
    assert wild["items"] == [] and wild["hint"]
    assert (await search(world, q="%"))["items"] == []


async def test_nfd_file_name_is_stored_nfc(world: World, sent: dict[str, str]) -> None:
    """A file sent with an NFD name downloads by its NFC name and by the NFD spelling."""
    for name in ("kế hoạch.pdf", nfd("kế hoạch.pdf")):
        url = f"/api/v1/messages/{sent['plan']}/attachments/{quote(name)}"
        resp = await world.client.get(url, headers=world.auth(B))
        assert resp.status == 200, (name, await resp.text())
        assert await resp.read() == b"%PDF-1.4 x"


async def test_receipt_reason_is_stored_nfc(world: World, sent: dict[str, str]) -> None:
    """A rejection reason typed in NFD is kept NFC in the status."""
    resp = await world.client.post(
        f"/api/v1/messages/{sent['report']}/receipts",
        json={"status": "02", "reason": nfd("Sai thể thức")},
        headers=world.auth(B),
    )
    assert resp.status == 201, await resp.text()
    body = await world.wait_state(sent["report"], B, {"rejected"})
    reasons = [r["reason"] for r in body["recipients"][0]["receipts"] if r["status"] == "02"]
    assert reasons == ["Sai thể thức"]


async def test_csv_has_a_bom_and_a_column_per_state(world: World, sent: dict[str, str]) -> None:
    """format=csv: UTF-8 with a BOM, one column per delivery state, formulas neutralised."""
    await world.client.post(
        f"/api/v1/messages/{sent['plan']}/receipts",
        json={"status": "03"},
        headers=world.auth(B),
    )
    await world.wait_state(sent["plan"], B, {"accepted"})
    resp = await world.client.get(
        "/api/v1/messages", params={"format": "csv"}, headers=world.auth("operator")
    )
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(COLUMNS) and set(DELIVERY_STATES) <= set(rows[0])
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == set(sent.values())
    plan = by_id[sent["plan"]]
    assert plan["subject"] == "Kế hoạch năm 2027"
    assert (plan["recipients"], plan["accepted"], plan["submitted"]) == ("1", "1", "0")
    assert by_id[sent["report"]]["subject"].startswith("'=HYPERLINK")


async def test_xlsx_has_the_same_rows(world: World, sent: dict[str, str]) -> None:
    """format=xlsx: the same header and rows as the CSV; text is never a formula."""
    auth = world.auth("operator")
    csv_resp = await world.client.get("/api/v1/messages", params={"format": "csv"}, headers=auth)
    csv_rows = list(csv.reader(io.StringIO((await csv_resp.read()).decode("utf-8-sig"))))
    resp = await world.client.get("/api/v1/messages", params={"format": "xlsx"}, headers=auth)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "lienthong-messages.xlsx" in resp.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(await resp.read())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS) == csv_rows[0]
    assert [r[0] for r in rows[1:]] == [r[0] for r in csv_rows[1:]]
    subject_of = {r[0]: r[2] for r in rows[1:]}
    assert subject_of[sent["report"]] == '=HYPERLINK("x") Báo cáo đường'
    cells = {c.value: c.data_type for row in sheet.iter_rows(min_row=2) for c in row[2:3]}
    assert cells['=HYPERLINK("x") Báo cáo đường'] == "s"
    counts = [r[COLUMNS.index("submitted") :] for r in rows[1:]]
    assert all(isinstance(n, int) for row in counts for n in row)


async def test_exports_are_for_operators_only(world: World, sent: dict[str, str]) -> None:
    """A unit gets 403 for either export; an unknown format is 400 naming the valid ones."""
    for fmt in ("csv", "xlsx"):
        resp = await world.client.get(
            "/api/v1/messages", params={"format": fmt}, headers=world.auth(A)
        )
        assert resp.status == 403
    resp = await world.client.get(
        "/api/v1/messages", params={"format": "pdf"}, headers=world.auth("operator")
    )
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert error["code"] == "request.invalid" and "csv, xlsx" in error["message"]
