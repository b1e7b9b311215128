"""Status of one message, and the probes: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import os
from typing import Any

from aiohttp import web

from gateway.api.context import hub_of, principal_of
from gateway.api.jsonio import json_ok
from gateway.api.params import int_param, message_id_param, text_param
from gateway.directory.last_seen import MAX_NOT_SEEN_DAYS
from gateway.facade import HubFacade
from gateway.metrics import CONTENT_TYPE

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/messages/{id}/status")
async def message_status(request: web.Request) -> web.Response:
    """One timeline per message: every recipient, its state and its receipts."""
    status = await hub_of(request).status(principal_of(request), message_id_param(request))
    return json_ok(status)


@routes.get("/api/v1/units/summary")
async def unit_summaries(request: web.Request) -> web.Response:
    """Operators: per-unit counters and last-seen times; ``?unit=CODE`` for one unit,
    ``?not_seen_days=N`` for the units not seen for N days (or never)."""
    unit = text_param(request, "unit")  # a NUL reached PostgreSQL as a 500
    days = None
    if request.query.get("not_seen_days"):
        days = int_param(request, "not_seen_days", default=0, low=-1, high=MAX_NOT_SEEN_DAYS + 1)
        # out of range: refused with the valid range (check_days), not clamped
    items = await hub_of(request).unit_summaries(principal_of(request), unit, not_seen_days=days)
    return json_ok({"items": items})


@routes.get("/api/v1/overdue")
async def overdue(request: web.Request) -> web.Response:
    """Operators: deliveries past their document's due date and not finished."""
    return json_ok({"items": await hub_of(request).overdue(principal_of(request))})


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers (``pid`` tells ``--workers`` processes apart)."""
    return json_ok({"status": "ok", "pid": os.getpid()})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when database, bus and adapters are up, else 503 naming what is down.

    ``adapters`` details each running adapter (state, breaker, last error).
    """
    hub = hub_of(request)
    checks = await hub.ready()
    down = sorted(name for name, ok in checks.items() if not ok)
    body = {"ready": not down, "checks": checks, "down": down, "adapters": await _adapters(hub)}
    return json_ok(body, status=503 if down else 200)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition of the hub's metrics (counts read from the store at scrape time)."""
    hub = hub_of(request)
    body = await hub.metrics.render(hub, await _adapters(hub))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


async def _adapters(hub: HubFacade) -> dict[str, dict[str, Any]]:
    """The running adapters' health, empty when none run in this process."""
    health = hub.adapter_health
    return {} if health is None else await health()
