"""The caller's mailbox: pending documents and receipts (long-poll), and acking them."""

from __future__ import annotations

from typing import Final

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.jsonio import json_ok
from gateway.api.params import float_param, int_param
from gateway.api.uploads import read_json_object
from gateway.errors import RequestError

__all__ = ["MAX_WAIT_SECONDS", "routes"]

routes = web.RouteTableDef()

#: A long-poll never holds a connection longer than this.
MAX_WAIT_SECONDS: Final = 30.0
_MAX_ITEMS: Final = 500


@routes.get("/api/v1/mailbox")
async def mailbox(request: web.Request) -> web.Response:
    """Pending items; with ``wait`` the call waits (at most 30 s) for the first one."""
    items = await hub_of(request).mailbox(
        principal_of(request),
        wait=float_param(request, "wait", default=0.0, high=MAX_WAIT_SECONDS),
        limit=int_param(request, "limit", default=100, low=1, high=_MAX_ITEMS),
        record_later=True,
    )
    return json_ok({"items": items})


@routes.post("/api/v1/mailbox/ack")
async def ack_many(request: web.Request) -> web.Response:
    """Remove several items (JSON ``{"item_ids": [...]}``, at most 500) in one transaction:
    all of them, or none when one is not the caller's (idempotent)."""
    item_ids = (await read_json_object(request)).get("item_ids")
    if item_ids is None or item_ids == []:
        raise RequestError("'item_ids' is required", code="request.missing_field")
    if not isinstance(item_ids, list) or len(item_ids) > _MAX_ITEMS:
        raise RequestError(
            f"'item_ids' must be a list of at most {_MAX_ITEMS}", code="request.invalid"
        )
    await hub_of(request).ack_items(principal_of(request), item_ids)
    return json_ok({"item_ids": list(dict.fromkeys(int(i) for i in item_ids)), "acked": True})


@routes.post("/api/v1/mailbox/{item_id}/ack")
async def ack(request: web.Request) -> web.Response:
    """Remove one item from the caller's pending list (idempotent)."""
    item_id = request.match_info["item_id"]
    await hub_of(request).ack_item(principal_of(request), item_id)
    return json_ok({"item_id": item_id, "acked": True})
