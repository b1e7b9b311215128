"""Changing a unit from the console (issue 24): merge, retire, re-code, move (re-parent),
rename or split it, now or at an effective date.

``GET /console/units/{code}/change`` shows the unit with its lineage and scheduled
changes, and one form per change. Posting a form shows the preview first (what the change
writes and carries over, :mod:`gateway.directory.preview`) and a confirm button; only the
confirmed post (``confirm=yes``) makes the change, through the hub's ``change_unit``, the
code the CLI and the HTTP API run (audited as ``operator:NAME``). Every post carries the
session's CSRF token. Changing the directory belongs to the whole hub: a leader (an operator
with a scope) is refused (``auth.forbidden``), as the API refuses it.

The effective date is read as Vietnam time when it has no UTC offset (the console shows
every time in it); empty means now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from gateway.console.context import HUB
from gateway.console.i18n import error_text
from gateway.console.people import LOCAL
from gateway.console.session import check_csrf
from gateway.console.views import _lang, _principal, _render, _require
from gateway.errors import ForbiddenError, GatewayError, RequestError, UnknownUnitError
from gateway.untrusted import clean_text

__all__ = ["FIELDS", "routes"]

routes = web.RouteTableDef()

#: The form fields each change reads (besides ``at``), as the HTTP API names them.
FIELDS: dict[str, tuple[str, ...]] = {
    "merge": ("into", "name", "parent"),
    "retire": ("successor",),
    "recode": ("new_code",),
    "move": ("parent",),
    "rename": ("name",),
    "split": ("into",),
}
_ACTIONS = "|".join(FIELDS)
#: The audit details a preview shows (each has a label ``detail_<key>``).
_DETAILS = ("successors", "kind", "name", "parent", "was", "group", "added", "removed")


def _at_text(text: str) -> str:
    """An ``at`` of the form as ISO 8601 with an offset: a browser's ``datetime-local``
    (no offset) is Vietnam time; empty stays empty (now)."""
    text = text.strip()
    if not text:
        return ""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return text  # parse_at refuses it with its own words (directory.invalid)
    return (at if at.tzinfo else at.replace(tzinfo=LOCAL)).isoformat()


async def _fields(request: web.Request, action: str) -> dict[str, str]:
    """The change's fields from the posted form (text checked, trimmed)."""
    form = await request.post()
    fields: dict[str, str] = {}
    for name in (*FIELDS[action], "at", "confirm"):
        if len(form.getall(name, [])) > 1:  # which of the two was meant?
            raise RequestError(f"form field {name!r} given twice", code="request.invalid")
    for name in (*FIELDS[action], "at"):
        value = form.get(name)
        if isinstance(value, str):
            fields[name] = clean_text(value, name).strip()
    fields["at"] = _at_text(fields.get("at", ""))
    return fields


async def _page(
    request: web.Request, code: str, *, status: int = 200, **extra: Any
) -> web.Response:
    """The unit's change page (its lineage, scheduled changes and the forms)."""
    unit, scheduled = await request.app[HUB].unit_changes(_principal(request), code)
    response = _render(
        request, "unit_change.html", "units", target=unit, scheduled=scheduled, fields=FIELDS,
        done=request.query.get("done", "") if request.query.get("done") in FIELDS else "",
        **extra,
    )  # fmt: skip
    response.set_status(status)
    return response


@routes.get("/console/units/{code}/change")
async def change_form(request: web.Request) -> web.Response:
    """The unit with its lineage, and a form for each change (the whole hub's operators)."""
    await _require(request)
    return await _page(request, request.match_info["code"])


@routes.post(f"/console/units/{{code}}/change/{{action:{_ACTIONS}}}")
async def change(request: web.Request) -> web.StreamResponse:
    """Preview a change, or make it when confirmed (``confirm=yes``); a change that cannot
    be made shows the form again with why."""
    session = await _require(request)
    await check_csrf(request, session)
    code, action = request.match_info["code"], request.match_info["action"]
    hub = request.app[HUB]
    try:
        fields = await _fields(request, action)
        if (await request.post()).get("confirm") != "yes":
            plan = await hub.preview_unit_change(_principal(request), code, action, fields)
            return _render(
                request, "unit_change_preview.html", "units", plan=plan, fields=fields,
                details=_DETAILS,
            )  # fmt: skip
        await hub.change_unit(_principal(request), code, action, fields)
    except ForbiddenError:  # the caller may not change units: no form to show again
        raise
    except UnknownUnitError as exc:
        if not await _exists(request, code):
            raise
        return await _refused(request, code, action, exc)
    except GatewayError as exc:
        return await _refused(request, code, action, exc)
    raise web.HTTPSeeOther(f"/console/units/{code}/change?done={action}")


async def _refused(
    request: web.Request, code: str, action: str, exc: GatewayError
) -> web.StreamResponse:
    """The change form again, saying why the change cannot be made."""
    message = error_text(_lang(request), exc.code)
    return await _page(
        request, code, status=exc.http_status, error=message, error_code=exc.code,
        error_detail=exc.message, action=action,
    )  # fmt: skip


async def _exists(request: web.Request, code: str) -> bool:
    """Whether ``code`` is a unit (the page of an unknown one is an error page)."""
    try:
        await request.app[HUB].unit_lineage(_principal(request), code)
    except GatewayError:
        return False
    return True
