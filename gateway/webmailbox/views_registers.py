"""The incoming and outgoing registers of the session's unit, per year, and as XLSX."""

from __future__ import annotations

from aiohttp import web

from gateway.api.downloads import export_response
from gateway.console.i18n import pick_language, state_namer
from gateway.errors import RequestError
from gateway.exports import Export, to_xlsx
from gateway.webmailbox.clock import today_local
from gateway.webmailbox.context import HUB
from gateway.webmailbox.listing import received, sent
from gateway.webmailbox.pages import render, require
from gateway.webmailbox.registers import INCOMING, OUTGOING, register_rows
from gateway.webmailbox.session import PATH, UnitSession

routes = web.RouteTableDef()

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _params(request: web.Request) -> tuple[str, int]:
    kind = request.query.get("kind", "in")
    year_text = request.query.get("year", "") or str(today_local().year)
    if kind not in ("in", "out"):
        raise RequestError("kind is 'in' or 'out'", code="request.invalid")
    if not (year_text.isascii() and year_text.isdigit() and 2000 <= int(year_text) <= 2100):
        raise RequestError("year is a year between 2000 and 2100", code="request.invalid")
    return kind, int(year_text)


async def _rows(
    request: web.Request, session: UnitSession, kind: str, year: int
) -> tuple[list[str], list[list[str]]]:
    hub = request.app[HUB]
    lang = pick_language(request.query.get("lang"), request.cookies.get("lang"))
    query = received if kind == "in" else sent
    listing = await query(hub, session.principal, year)
    rows = register_rows(kind, listing.entries, listing.names, state_namer(lang))
    header = [pair[1 if lang == "en" else 0] for pair in (INCOMING if kind == "in" else OUTGOING)]
    return header, rows


@routes.get(PATH + "/registers")
async def registers(request: web.Request) -> web.Response:
    """One register (``?kind=in|out&year=YYYY``) as a table."""
    session = await require(request)
    kind, year = _params(request)
    header, rows = await _rows(request, session, kind, year)
    return render(
        request, "registers.html", "registers", kind=kind, year=year, header=header, rows=rows
    )


@routes.get(PATH + "/registers.xlsx")
async def registers_xlsx(request: web.Request) -> web.StreamResponse:
    """The same register as an XLSX file."""
    session = await require(request)
    kind, year = _params(request)
    header, rows = await _rows(request, session, kind, year)
    title = ("so-van-ban-den" if kind == "in" else "so-van-ban-di") + f"-{year}"
    body = to_xlsx(list(rows), header, title)
    return export_response(Export(body, _XLSX, f"{title}-{session.unit}.xlsx"))
