"""Status of one message, and the probes: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from gateway.api.context import hub_of, principal_of
from gateway.api.jsonio import json_ok
from gateway.api.params import message_id_param

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.get("/api/v1/messages/{id}/status")
async def message_status(request: web.Request) -> web.Response:
    """One timeline per message: every recipient, its state and its receipts."""
    status = await hub_of(request).status(principal_of(request), message_id_param(request))
    return json_ok(status)


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return json_ok({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Readiness: 200 when database, bus and adapters are up, else 503 naming what is down."""
    checks = await hub_of(request).ready()
    down = sorted(name for name, ok in checks.items() if not ok)
    body = {"ready": not down, "checks": checks, "down": down}
    return json_ok(body, status=503 if down else 200)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition of the default registry."""
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )
