"""CSV injection through the exports of a running hub (API and console).

Issue 21, item 8: subjects starting with TAB or CR followed by ``=`` (and a formula sign
after leading blanks) came out of the CSV export as live formulas.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from support.livehub import A, LiveHome, live_home

pytestmark = [pytest.mark.slow]

SUBJECTS = [
    '=HYPERLINK("http://evil.example","Xem")',
    "\t=1+1",
    "\r=cmd|' /C calc'!A0",
    " =1+1",
    " \t@SUM(A1:A9)",
    "+84 912 345 678",
    "-2+3",
    "\uff1d1+1",
]
SIGNED = ["\t=1+1", "\r=cmd|' /C calc'!A0", " \t@SUM(A1:A9)", "\t"]
_FORMULA = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
_CONTROL = frozenset("\t\r\n")


def _cells(text: str) -> list[str]:
    """Every cell below the header row."""
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    return [cell for row in rows[1:] for cell in row]


def _live_formulas(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would evaluate: a formula sign first or after blanks, or a
    TAB/CR/LF first."""
    return [c for c in cells if c[:1] in _CONTROL or c.lstrip()[:1] in _FORMULA]


async def _export(live: LiveHome, path: str, headers: dict[str, str]) -> str:
    hub = live.processes[0]
    reply = await live.request(hub, "GET", path, headers=headers)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv"), reply
    return reply.body.decode("utf-8")


async def test_exports_neutralise_every_formula_a_subject_carries(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Each subject comes out of the API's and the console's CSV quoted with ``'``, whole."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        for subject in SUBJECTS:  # multipart metadata: the hub strips the blanks around
            sent = await live.send(hub, A, subject=subject)
            assert sent.status == 202, (subject, sent)
        for subject in SIGNED:  # a signed envelope's subject is taken as signed
            xml = live.signed_envelope(A, subject=subject)
            sent = await live.submit_xml(hub, A, xml)
            assert sent.status == 202, (subject, sent)
        login = await live.request(
            hub, "POST", "/console/login", data={"token": live.tokens["operator"]}
        )
        console = {"Cookie": login.headers["Set-Cookie"].split(";", 1)[0]}
        operator = {"Authorization": f"Bearer {live.tokens['operator']}"}
        for path, headers in (
            ("/api/v1/messages?format=csv", operator),
            ("/console/messages.csv", console),
        ):
            cells = _cells(await _export(live, path, headers))
            assert _live_formulas(cells) == [], path
            expected = {f"'{s.strip()}" for s in SUBJECTS} | {f"'{s}" for s in SIGNED}
            assert expected <= set(cells), (path, expected - set(cells))
