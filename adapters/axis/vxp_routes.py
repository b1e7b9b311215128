"""``/vxp/<operation>``: the hub as the document axis VNPT's SDKVXP 2.0.x talks to.

An office system that embeds the SDK connects by changing only its ``endpoint`` (to
``https://HUB/vxp``), ``systemid`` and ``secret`` (the ``axis`` adapter registration:
``options.system_id`` and ``secret_env``/``secret_file``). Operations: see
:data:`OPERATIONS` and ``docs/vxp.md``. The SDK posts (``GET`` is accepted too).

Every refusal answers in the SDK's shape (``status`` ``FAIL``, ``ErrorCode`` the HTTP
status, ``ErrorDesc`` starting with the hub's stable code) with a 4xx status, including
those raised by the hub's own middlewares (body size, rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from adapters.axis.state import AxisState
from adapters.axis.vxp_agency import AGENCY_OPERATIONS
from adapters.axis.vxp_auth import Operation, VxpAuthenticator, VxpContext
from adapters.axis.vxp_documents import DOCUMENT_OPERATIONS
from adapters.axis.vxp_wire import fail_answer
from gateway.api.errors import error_middleware
from gateway.api.limits import RATE_LIMITER
from gateway.errors import GatewayError, NotFoundError

__all__ = ["OPERATIONS", "VXP", "VxpState", "setup_vxp_routes"]

log = structlog.get_logger("adapters.axis.vxp")

PREFIX: Final = "/vxp/"
OPERATIONS: Final[dict[str, Operation]] = {**DOCUMENT_OPERATIONS, **AGENCY_OPERATIONS}
_HTTP_CODES: Final = {404: "not_found", 405: "request.method_not_allowed",
                      413: "limit.body_too_large", 429: "limit.rate"}  # fmt: skip


@dataclass
class VxpState:
    """What the VXP handlers share: the axis state (hub, systems) and the authenticator."""

    axis: AxisState
    auth: VxpAuthenticator


VXP: Final = web.AppKey("vxp", VxpState)


def setup_vxp_routes(app: web.Application, axis: AxisState) -> VxpState:
    """Mount ``/vxp/<operation>`` for the systems of ``axis``, with the SDK's error shape."""
    state = VxpState(axis, VxpAuthenticator(axis.auth.systems))
    app[VXP] = state
    app.router.add_route("POST", PREFIX + "{operation}", dispatch)
    app.router.add_route("GET", PREFIX + "{operation}", dispatch)
    middlewares = app.middlewares
    at = middlewares.index(error_middleware) + 1 if error_middleware in middlewares else 0
    middlewares.insert(at, vxp_error_middleware)
    return state


async def dispatch(request: web.Request) -> web.StreamResponse:
    """Authenticate from the headers, count the call, then run the operation."""
    name = request.match_info["operation"]
    operation = OPERATIONS.get(name)
    if operation is None:
        raise NotFoundError(f"no VXP operation {name!r}", code="vxp.unknown_operation")
    state = request.app[VXP]
    call = state.auth(request)
    limiter = request.app.get(RATE_LIMITER)
    if limiter is not None:
        limiter.check(f"axis:{call.system.system_id}")  # one budget for /axis and /vxp
    units = await state.axis.units(call.system)
    result = await operation(VxpContext(request, state.axis.hub, call, units))
    if isinstance(result, web.StreamResponse):
        return result
    return web.json_response(result)


def _refusal(operation: str, status: int, code: str, message: str, **headers: str) -> web.Response:
    log.info("vxp.refused", operation=operation, code=code, status=status)
    body = fail_answer(operation, status, code, message)
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def vxp_error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under ``/vxp/``, typed errors and HTTP errors answer in the SDK's JSON shape."""
    if not request.path.startswith(PREFIX):
        return await handler(request)
    operation = request.path[len(PREFIX) :]
    try:
        return await handler(request)
    except GatewayError as exc:
        headers = dict(getattr(exc, "headers", None) or {})
        return _refusal(operation, exc.http_status, exc.code, exc.message, **headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "request.invalid")
        return _refusal(operation, exc.status, code, exc.reason or "request failed")
