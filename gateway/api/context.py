"""Typed keys for what the API keeps on the app and on each request."""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from gateway.errors import AuthError
from gateway.facade import HubFacade, PrincipalLike

__all__ = ["HUB", "PRINCIPAL", "REQUEST_ID", "hub_of", "principal_of"]

#: The hub facade every handler calls.
HUB = web.AppKey("hub", HubFacade)
#: The authenticated caller (set by the auth middleware on ``/api/v1`` routes).
PRINCIPAL: web.RequestKey[Any] = web.RequestKey("principal", object)
#: The request id (``X-Request-Id``), echoed on every response.
REQUEST_ID = web.RequestKey("request_id", str)


def hub_of(request: web.Request) -> HubFacade:
    """The hub facade of the app serving ``request``."""
    return request.app[HUB]


def principal_of(request: web.Request) -> Any:
    """The authenticated caller; ``auth.required`` if the route was reached without one."""
    principal = request.get(PRINCIPAL)
    if principal is None:
        raise AuthError("authentication required", code="auth.required")
    return principal


def caller_key(principal: Any) -> str:
    """A stable key naming the caller (rate limits, logs): ``unit:CODE`` or ``operator:NAME``."""
    p = cast(PrincipalLike, principal)
    if p.unit:
        return f"unit:{p.unit}"
    return f"operator:{p.operator}"
