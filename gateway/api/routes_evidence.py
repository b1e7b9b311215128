"""The evidence bundle of one message (``docs/evidence.md``): sender, recipients, operators."""

from __future__ import annotations

import asyncio

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.params import message_id_param

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/messages/{id}/evidence")
async def evidence(request: web.Request) -> web.StreamResponse:
    """A zip that proves the message's journey to someone who does not trust the hub,
    streamed from a temporary file (removed afterwards)."""
    message_id = message_id_param(request)
    path = await hub_of(request).evidence(principal_of(request), message_id)
    try:
        disposition = f'attachment; filename="evidence-{message_id}.zip"'
        response = web.StreamResponse(headers={"Content-Disposition": disposition})
        response.content_type = "application/zip"
        response.content_length = path.stat().st_size
        await response.prepare(request)
        with path.open("rb") as source:
            while chunk := await asyncio.to_thread(source.read, 1 << 20):
                await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        path.unlink(missing_ok=True)
