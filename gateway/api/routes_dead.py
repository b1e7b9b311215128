"""Operators: the bus's dead letters — list them, retry or discard one (audited)."""

from __future__ import annotations

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.jsonio import json_ok

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    """What the bus gave up on (at most 500), each with its reason and last error."""
    return json_ok({"items": await hub_of(request).dead_letters(principal_of(request))})


@routes.post(r"/api/v1/dead-letters/{id}/{action:retry|discard}")
async def resolve(request: web.Request) -> web.Response:
    """Put one back on its mailbox queue, or drop it for good."""
    dead_id, action = request.match_info["id"], request.match_info["action"]
    await hub_of(request).resolve_dead_letter(principal_of(request), dead_id, action)
    return json_ok({"id": dead_id, "action": action, "done": True})
