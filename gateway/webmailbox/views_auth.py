"""Logging in as a unit (a unit token traded for a session cookie) and out."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.limits import FailureLimiter
from gateway.console.session import check_same_origin
from gateway.errors import AuthError, ForbiddenError, GatewayError
from gateway.webmailbox.context import CODEC, FAILURES, HUB
from gateway.webmailbox.pages import checked_post, error_words, render, session_of
from gateway.webmailbox.session import COOKIE, PATH, set_cookie

routes = web.RouteTableDef()


@routes.get(f"{PATH}/login")
async def login_form(request: web.Request) -> web.Response:
    """The login page."""
    await session_of(request)
    return render(request, "login.html", "login")


@routes.post(f"{PATH}/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Exchange a unit token for a session cookie (only from the mailbox's own page);
    an operator token is refused here (operators have the console)."""
    form = await request.post()
    token = form.get("token")
    hub, failures = request.app[HUB], request.app[FAILURES]
    client = f"addr:{request.remote}"
    try:
        check_same_origin(request)
        failures.check(client)
        if not isinstance(token, str) or not token.strip():
            raise AuthError("token required", code="auth.required")
        principal = await _authenticate(hub, failures, client, token.strip())
        if not principal.unit:
            raise ForbiddenError("a unit's token is needed here", code="auth.forbidden")
        token_id = await hub.directory.tokens.id_of(token.strip())
    except GatewayError as exc:
        page = render(
            request, "login.html", "login", status=exc.http_status, error=error_words(request, exc)
        )
        page.headers.update(getattr(exc, "headers", {}))  # Retry-After of a 429
        return page
    cookie, _ = request.app[CODEC].issue(principal.unit, token_id)
    redirect = web.HTTPSeeOther(PATH)
    set_cookie(redirect, cookie)
    raise redirect


async def _authenticate(hub: Any, failures: FailureLimiter, client: str, token: str) -> Any:
    """The token's principal; a wrong token counts against the client's address."""
    try:
        return await hub.authenticate_token(token)
    except AuthError:
        failures.failed(client)
        raise


@routes.post(f"{PATH}/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    await checked_post(request)
    redirect = web.HTTPSeeOther(f"{PATH}/login")
    redirect.del_cookie(COOKIE, path=PATH)
    raise redirect
