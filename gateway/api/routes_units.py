"""Operators: a unit's lineage, and the directory changes that keep it (issue 24)."""

from __future__ import annotations

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.jsonio import json_ok
from gateway.api.uploads import read_json_object

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/units/{code}")
async def unit(request: web.Request) -> web.Response:
    """One unit: name, parent, validity, predecessors and successors."""
    code = request.match_info["code"]
    return json_ok(await hub_of(request).unit_lineage(principal_of(request), code))


#: The directory changes, one route each (so the OpenAPI document names each).
ACTIONS = ("rename", "move", "retire", "merge", "recode", "split")


async def change(request: web.Request) -> web.Response:
    """Rename, move, retire, merge, recode or split the unit, now or at ``at``."""
    code = request.match_info["code"]
    action = request.path.rsplit("/", 1)[-1]
    p = principal_of(request)
    hub = hub_of(request)
    return json_ok(await hub.change_unit(p, code, action, await read_json_object(request)))


for _action in ACTIONS:
    routes.post(f"/api/v1/units/{{code}}/{_action}")(change)
