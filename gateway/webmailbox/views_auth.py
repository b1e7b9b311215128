"""Logging in as a unit (a unit token traded for a session cookie), or as one of its
clerks (a username and password, ``lienthong users``), and out."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway.api.limits import FailureLimiter
from gateway.console.session import check_same_origin
from gateway.errors import AuthError, GatewayError
from gateway.webmailbox.context import CODEC, FAILURES, HUB, MailboxHub
from gateway.webmailbox.pages import checked_post, error_words, render, session_of
from gateway.webmailbox.session import COOKIE, PATH, person_session_id, set_cookie

routes = web.RouteTableDef()


@routes.get(f"{PATH}/login")
async def login_form(request: web.Request) -> web.Response:
    """The login page."""
    await session_of(request)
    return render(request, "login.html", "login")


@routes.post(f"{PATH}/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Exchange a unit token, or a clerk's username and password, for a session cookie
    (only from the mailbox's own page); an operator token is refused here (operators have
    the console). Wrong tokens and passwords count against the client's address, wrong
    passwords against the account too (``auth.account_locked``)."""
    form = await request.post()
    hub, failures = request.app[HUB], request.app[FAILURES]
    client = f"addr:{request.remote}"
    try:
        check_same_origin(request)
        failures.check(client)
        if _text(form, "username"):
            unit, session_id = await _person(hub, failures, client, form)
        else:
            unit, session_id = await _unit(hub, failures, client, _text(form, "token"))
    except GatewayError as exc:
        page = render(
            request, "login.html", "login", status=exc.http_status, error=error_words(request, exc)
        )
        page.headers.update(getattr(exc, "headers", {}))  # Retry-After of a 429
        return page
    cookie, _ = request.app[CODEC].issue(unit, session_id)
    redirect = web.HTTPSeeOther(PATH)
    set_cookie(redirect, cookie)
    raise redirect


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _unit(
    hub: MailboxHub, failures: FailureLimiter, client: str, token: str
) -> tuple[str, str]:
    """The unit of a unit token, and the token's id (what the session checks)."""
    if not token:
        raise AuthError("token required", code="auth.required")
    try:
        return await hub.mailbox_login(token)  # an operator's token: auth.forbidden
    except AuthError:  # a wrong token counts against the client's address
        failures.failed(client)
        raise


async def _person(
    hub: MailboxHub, failures: FailureLimiter, client: str, form: Any
) -> tuple[str, str]:
    """The unit of a clerk's account, and the account's session id."""
    password = form.get("password")
    if not isinstance(password, str) or not password:
        raise AuthError("password required", code="auth.required")
    try:
        person = await hub.person_login(_text(form, "username"), password)
    except GatewayError:
        failures.failed(client)
        raise
    return person.unit, person_session_id(person.id)


@routes.post(f"{PATH}/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    await checked_post(request)
    redirect = web.HTTPSeeOther(f"{PATH}/login")
    redirect.del_cookie(COOKIE, path=PATH)
    raise redirect
