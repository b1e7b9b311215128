"""The evidence bundle of one message (``docs/evidence.md``): sender, recipients, operators."""

from __future__ import annotations

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.params import message_id_param

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/messages/{id}/evidence")
async def evidence(request: web.Request) -> web.Response:
    """A zip that proves the message's journey to someone who does not trust the hub."""
    message_id = message_id_param(request)
    body = await hub_of(request).evidence(principal_of(request), message_id)
    disposition = f'attachment; filename="evidence-{message_id}.zip"'
    return web.Response(
        body=body, content_type="application/zip", headers={"Content-Disposition": disposition}
    )
