"""The leaders' dashboard page: ``/console/dashboard?unit=CODE&days=N&not_seen_days=N``.

Without ``unit``: the caller's whole view (a leader: its scope). A unit the caller may not
see is answered like one that does not exist (``directory.unknown_unit``)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from gateway.console import charts
from gateway.console.context import HUB
from gateway.console.dashboard import build
from gateway.console.i18n import translator
from gateway.console.monthly import monthly_report
from gateway.console.people import LOCAL, helpers
from gateway.console.views import _NAMES, _lang, _principal, _render, _require
from gateway.directory.last_seen import check_days
from gateway.errors import NotFoundError, RequestError

__all__ = ["routes"]

routes = web.RouteTableDef()


def _days(request: web.Request) -> int:
    text = request.query.get("days", "30").strip()
    if not text.isdigit() or not 1 <= int(text) <= 366:
        raise RequestError("days must be 1 to 366", code="request.bad_parameter")
    return int(text)


async def _unit(request: web.Request) -> str | None:
    """The ``unit`` asked for, when the caller sees it (``Hub.units_seen``) and it is in the
    directory (else ``directory.unknown_unit``)."""
    unit = request.query.get("unit", "").strip() or None
    if unit is not None and not (
        unit in await request.app[HUB].units_seen(_principal(request), [unit])
        and unit in (request.get(_NAMES) or {})
    ):
        raise NotFoundError(f"no unit {unit[:40]!r}", code="directory.unknown_unit")
    return unit


@routes.get("/console/report.{fmt:xlsx|pdf}")
async def report(request: web.Request) -> web.Response:
    """The monthly report of ``unit`` (default: the caller's view) for ``month``, as XLSX
    or PDF."""
    await _require(request)
    made = await monthly_report(
        request.app[HUB], _principal(request), await _unit(request) or _principal(request).scope,
        request.query.get("month", ""), _lang(request), request.get(_NAMES),
        fmt=request.match_info["fmt"],
    )  # fmt: skip
    disposition = f'attachment; filename="{made.filename}"'
    return web.Response(
        body=made.body,
        headers={"Content-Type": made.media_type, "Content-Disposition": disposition},
    )


@routes.get("/console/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    """Sent and received per day, handled in time, overdue and medians by unit, units
    not seen, and the children to drill down into."""
    await _require(request)
    p, unit = _principal(request), await _unit(request)
    text = request.query.get("not_seen_days", "7").strip()
    not_seen = check_days(int(text)) if text.isdigit() else check_days(-1)
    days = _days(request)
    board = await build(request.app[HUB], p, unit, days, not_seen)
    _ = translator(_lang(request))
    unit_name = helpers(_lang(request), request.get(_NAMES) or {})["unit_name"]
    daily = charts.daily(board.days, board.sent, board.received, _("chart_daily"))
    worst = board.overdue_by_unit[:15]
    overdue_chart = charts.bars(
        [unit_name(u.code) for u in worst], [u.overdue for u in worst], _("overdue_by_unit"),
        "chart-overdue",
    )  # fmt: skip
    return _render(
        request, "dashboard.html", "dashboard", board=board, daily=daily,
        overdue_chart=overdue_chart, days=days, not_seen_days=not_seen,
        this_month=datetime.now(LOCAL).strftime("%Y-%m"),
    )  # fmt: skip
