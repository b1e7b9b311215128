"""The aiohttp application: middlewares in order, then the route tables.

Middlewares, outermost first: request id → errors → header guard → admission (a
submission past the hub's bound: 503 ``hub.overloaded``, before anything is read) →
authentication → rate limit → body size. So every response (errors included) carries
``X-Request-Id``, every failure is JSON with a stable code, no header that is not valid
UTF-8 text reaches a handler, and a caller is known before it is counted or its body read.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from gateway.api import (
    openapi,
    routes_dead,
    routes_escalations,
    routes_evidence,
    routes_mailbox,
    routes_messages,
    routes_status,
    routes_units,
)
from gateway.api.admission import admission_middleware
from gateway.api.auth import auth_middleware
from gateway.api.context import HUB
from gateway.api.errors import error_middleware, request_id_middleware
from gateway.api.limits import (
    MAX_BODY,
    RATE_LIMITER,
    RateLimiter,
    body_limit_middleware,
    rate_limit_middleware,
)
from gateway.facade import HubFacade
from gateway.store.deadline import STORE_SECONDS
from gateway.untrusted import header_guard_middleware

__all__ = ["build_app"]


def store_deadline_middleware(seconds: float) -> Middleware:
    """Bound every store operation of a request by ``seconds`` (0: no bound)."""

    @web.middleware
    async def store_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        token = STORE_SECONDS.set(seconds or None)
        try:
            return await handler(request)
        finally:
            STORE_SECONDS.reset(token)

    return store_deadline


def build_app(hub: HubFacade) -> web.Application:
    """The hub's HTTP API (``/api/v1``, probes, OpenAPI); the console mounts separately."""
    limits = hub.config.hub
    app = web.Application(
        client_max_size=limits.max_body_bytes,
        middlewares=[
            store_deadline_middleware(hub.config.database.request_seconds),
            request_id_middleware,
            error_middleware,
            header_guard_middleware,
            admission_middleware,
            auth_middleware,
            rate_limit_middleware,
            body_limit_middleware,
        ],
    )
    app[HUB] = hub
    app[MAX_BODY] = limits.max_body_bytes
    app[RATE_LIMITER] = RateLimiter(limits.rate_per_minute)
    for table in (
        routes_messages.routes,
        routes_status.routes,
        routes_evidence.routes,
        routes_mailbox.routes,
        routes_dead.routes,
        routes_escalations.routes,
        routes_units.routes,
        openapi.routes,
    ):
        app.router.add_routes(table)
    return app
