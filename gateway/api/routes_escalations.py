"""Operators: the escalation sends — list them, resolve one left ``unknown`` (audited)."""

from __future__ import annotations

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.jsonio import json_ok
from gateway.api.uploads import read_json_object

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/escalations")
async def sends(request: web.Request) -> web.Response:
    """The newest sends (at most 500), in ``?state=`` when given."""
    state = request.query.get("state")
    items = await hub_of(request).escalation_sends(principal_of(request), state)
    return json_ok({"items": items})


@routes.post("/api/v1/escalations/{id}/resolve")
async def resolve(request: web.Request) -> web.Response:
    """``{"action": "sent"}`` (it arrived) or ``{"action": "resend"}`` (send it once more)."""
    p = principal_of(request)
    action = (await read_json_object(request)).get("action")
    if not isinstance(action, str):
        action = ""
    send_id = request.match_info["id"]
    return json_ok(await hub_of(request).resolve_escalation_send(p, send_id, action))
