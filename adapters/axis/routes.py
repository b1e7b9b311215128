"""The axis HTTP routes, mounted on the hub's aiohttp app (``docs/axis-api.md``).

::

    POST /axis/oauth/token                 client credentials → bearer token
    POST /axis/v1/edocs                    send an edXML document or status
    GET  /axis/v1/edocs                    the caller's pending documents and statuses
    GET  /axis/v1/edocs/{docId}            one of them, as edXML
    POST /axis/v1/edocs/{docId}/status     done | fail
    GET  /axis/v1/sent/{messageId}         the statuses of a document the caller sent

Errors are the hub's JSON errors (the app's error middleware renders them). A request is
authenticated before its body is read (a signed request as far as its headers go, see
:class:`adapters.axis.auth.Claim`), and then only up to the hub's XML size limit. Failed
client credentials at ``/axis/oauth/token`` are limited per client id and per address
(429 ``limit.auth_failures``).
"""

from __future__ import annotations

from typing import Any, Final, cast

import aiohttp
from aiohttp import web

from adapters.axis.auth import AxisAuthenticator
from adapters.axis.inbound import MessageType, submit_edxml
from adapters.axis.outbound import confirm, find_item, list_pending, render_item
from adapters.axis.signing import mint_token
from adapters.axis.state import AXIS, AxisState
from adapters.axis.systems import AxisSystem, AxisSystems
from adapters.axis.vxp_routes import setup_vxp_routes
from gateway.api.limits import RATE_LIMITER, ByteBudget
from gateway.api.uploads import read_body
from gateway.directory.principal import Principal
from gateway.errors import AuthError, LimitError, NotFoundError, RequestError
from gateway.facade import AdapterFacade
from gateway.untrusted import clean_text, parse_json_object, parsing

__all__ = ["AXIS", "AxisState", "setup_axis_routes"]

PREFIX: Final = "/axis/v1"
MESSAGETYPE_HEADER: Final = "X-Axis-MessageType"
_XML_TYPES: Final = ("application/xml", "text/xml", "application/edxml+xml")
_MAX_WAIT: Final = 30.0
_MAX_STATUS_BODY: Final = 64 * 1024


def setup_axis_routes(
    app: web.Application, hub: AdapterFacade, systems: AxisSystems | None = None
) -> AxisState:
    """Mount the axis API on ``app`` (systems from ``hub.config.adapters`` by default)."""
    registry = systems if systems is not None else AxisSystems.from_config(hub.config.adapters)
    state = AxisState(hub, AxisAuthenticator(registry))
    app[AXIS] = state
    app.router.add_post("/axis/oauth/token", token)
    app.router.add_post(f"{PREFIX}/edocs", send)
    app.router.add_get(f"{PREFIX}/edocs", pending)
    app.router.add_get(f"{PREFIX}/edocs/{{doc_id}}", get_one)
    app.router.add_post(f"{PREFIX}/edocs/{{doc_id}}/status", update_status)
    app.router.add_get(f"{PREFIX}/sent/{{message_id}}", sent_status)
    setup_vxp_routes(app, state)  # the same systems, over the SDK's protocol (docs/vxp.md)
    return state


async def _caller(request: web.Request, body_limit: int = 0) -> tuple[AxisState, AxisSystem, bytes]:
    """The calling system, authenticated before its body (at most ``body_limit`` bytes)
    is read; then the body, which a signed request's signature covers."""
    state = request.app[AXIS]
    claim = state.auth.claim(request)
    limiter = request.app.get(RATE_LIMITER)
    if limiter is not None:
        limiter.check(f"axis:{claim.system.system_id}")
    if (request.content_length or 0) > body_limit:
        raise LimitError(f"the body is larger than {body_limit} bytes", code="limit.body_too_large")
    body = await read_body(request, ByteBudget(body_limit)) if body_limit else b""
    return state, state.auth.confirm(claim, request, body), body


async def token(request: web.Request) -> web.Response:
    """OAuth2 client credentials (form body, or HTTP Basic for the client)."""
    with parsing("the token request"):
        form = await request.post()
    if form.get("grant_type") != "client_credentials":
        raise RequestError(
            "grant_type must be client_credentials", code="axis.unsupported_grant_type"
        )
    client_id, client_secret = _client(request, form)
    state = request.app[AXIS]
    keys = (f"client:{client_id[:200]}", f"address:{request.remote}")
    state.failures.check(*keys)
    try:
        system = state.auth.client_credentials(client_id, client_secret)
    except AuthError:
        state.failures.failed(*keys)
        raise
    access = mint_token(system.system_id, system.secret, system.token_ttl)
    body = {"access_token": access, "token_type": "Bearer", "expires_in": system.token_ttl}
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def _client(request: web.Request, form: Any) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            auth = aiohttp.BasicAuth.decode(header)
        except ValueError as exc:
            raise AuthError("malformed Basic credentials", code="axis.invalid_client") from exc
        return auth.login, auth.password
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str):
        raise AuthError("client_id and client_secret are required", code="axis.invalid_client")
    return client_id, secret


def _messagetype(value: str | None) -> MessageType | None:
    if value is None or value in ("", "all"):
        return None
    if value.lower() in ("edoc", "status"):
        return cast(MessageType, value.lower())
    raise RequestError("messagetype must be edoc, status or all", code="axis.bad_message_type")


async def send(request: web.Request) -> web.Response:
    """Send one edXML message (``X-Axis-MessageType`` edoc | status, optional)."""
    limit = request.app[AXIS].hub.config.hub.max_xml_bytes
    state, system, body = await _caller(request, limit)
    if request.content_type not in _XML_TYPES:
        raise RequestError(
            f"the body must be edXML ({', '.join(_XML_TYPES)})",
            code="request.unsupported_media_type",
            http_status=415,
        )
    expected = _messagetype(request.headers.get(MESSAGETYPE_HEADER))
    result = await submit_edxml(state.hub, body, await state.units(system), expected)
    return web.json_response(result.to_json(), status=202 if result.messagetype == "edoc" else 201)


def _number(request: web.Request, name: str, default: float, high: float) -> float:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError as exc:
        raise RequestError(f"{name} must be a number", code="request.bad_parameter") from exc
    if not 0 <= value <= high:
        raise RequestError(f"{name} must be 0..{high:g}", code="request.bad_parameter")
    return value


async def pending(request: web.Request) -> web.Response:
    """The caller's pending items: ``?messagetype=edoc|status|all&limit=N&wait=S``."""
    state, system, _ = await _caller(request)
    items = await list_pending(
        state.hub,
        await state.units(system),
        messagetype=_messagetype(request.query.get("messagetype")),
        limit=int(_number(request, "limit", 100, 500)),
        wait=_number(request, "wait", 0, _MAX_WAIT),
    )
    return web.json_response({"status": "OK", "items": [i.to_json() for i in items]})


async def get_one(request: web.Request) -> web.Response:
    """One pending item as edXML (``X-Axis-MessageType`` says which kind)."""
    state, system, _ = await _caller(request)
    doc_id = request.match_info["doc_id"]
    item = await find_item(state.hub, doc_id, await state.units(system))
    if item is None:
        raise NotFoundError(f"no pending item {doc_id!r}", code="mailbox.item_not_found")
    body = await render_item(state.hub, item)
    headers = {MESSAGETYPE_HEADER: item.messagetype, "X-Axis-DocId": item.doc_id}
    return web.Response(body=body, content_type="application/xml", charset="utf-8", headers=headers)


async def update_status(request: web.Request) -> web.Response:
    """``{"status": "done" | "fail", "reason": "..."}`` for one pending item."""
    state, system, body = await _caller(request, _MAX_STATUS_BODY)
    data = parse_json_object(body, "the body")
    if not isinstance(data.get("status"), str):
        raise RequestError("a status (done or fail) is needed", code="request.missing_field")
    reason = data.get("reason")
    answer = await confirm(
        state.hub,
        request.match_info["doc_id"],
        await state.units(system),
        status=data["status"],
        reason=clean_text(reason, "reason") if isinstance(reason, str) else None,
        post_received=not system.peer,
    )
    return web.json_response(answer)


async def sent_status(request: web.Request) -> web.Response:
    """The hub's status JSON of a message the caller's unit sent or received."""
    state, system, _ = await _caller(request)
    status = await state.hub.status(Principal(unit=system.unit), request.match_info["message_id"])
    return web.json_response({"status": "OK", **status})
