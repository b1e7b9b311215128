"""What every mailbox page shares: the session check, the template context, rendering.

A request's session is read once: a valid cookie whose unit token is still active.
Pages without one redirect to ``/mailbox/login``; every POST is checked for its origin
and its CSRF token (the console's :func:`~gateway.console.session.check_csrf`).
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from gateway.console.i18n import error_text, pick_language, state_namer
from gateway.console.session import ConsoleSession, check_csrf
from gateway.directory.principal import Principal
from gateway.errors import AuthError, GatewayError
from gateway.webmailbox.clock import local_time
from gateway.webmailbox.context import CODEC, HUB, TEMPLATES
from gateway.webmailbox.i18n import translator
from gateway.webmailbox.session import COOKIE, PATH, UnitSession, person_of_session

__all__ = [
    "attribute", "checked_post", "error_words", "render", "require", "session_of",
]  # fmt: skip

_SESSION: web.RequestKey[UnitSession | None] = web.RequestKey("mailbox_session")


async def session_of(request: web.Request) -> UnitSession | None:
    """The request's unit session, or ``None`` (no cookie, forged, expired, token revoked)."""
    if _SESSION not in request:
        request[_SESSION] = await _read_session(request)
    return request[_SESSION]


async def _read_session(request: web.Request) -> UnitSession | None:
    try:
        cookie = request.app[CODEC].read(request.cookies.get(COOKIE))
    except AuthError:
        return None
    hub, person = request.app[HUB], None
    if (person_id := person_of_session(cookie.token_id)) is not None:
        person = await hub.clerk_of_session(person_id, cookie.operator)
        if person is None:
            return None
    elif not await hub.session_valid(cookie.token_id):
        return None
    hub.last_seen(cookie.operator)
    names = await hub.unit_names([cookie.operator])
    # a clerk's own account acts as the unit, and is recorded with what it does
    principal = Principal(unit=cookie.operator, person=person.actor if person else None)
    return UnitSession(
        principal, cookie.csrf, cookie.token_id, names[cookie.operator], person
    )  # fmt: skip


async def require(request: web.Request) -> UnitSession:
    """The unit session, else a redirect to the login page."""
    session = await session_of(request)
    if session is None:
        raise web.HTTPSeeOther(f"{PATH}/login")
    return session


async def checked_post(request: web.Request) -> UnitSession:
    """The session of a form POST from this hub's own page with the right CSRF token."""
    session = await require(request)
    await check_csrf(request, ConsoleSession(session.unit, 0, session.csrf, session.token_id))
    return session


async def attribute(
    request: web.Request, session: UnitSession, action: str, message_id: str, **detail: Any
) -> None:
    """When a clerk's own account did ``action``, write it to the audit log in their name
    (the unit's own entry for the change names the unit only)."""
    if session.person is not None:
        await request.app[HUB].attribute_to_clerk(
            session.principal, session.person, action, message_id, **detail
        )


def render(
    request: web.Request, template: str, page: str, *, status: int = 200, **extra: Any
) -> web.Response:
    """``template`` rendered in the request's language, with the session's unit and token."""
    lang = pick_language(request.query.get("lang"), request.cookies.get("lang"))
    session = request.get(_SESSION)
    context = {
        "lang": lang,
        "_": translator(lang),
        "state_name": state_namer(lang),
        "local_time": local_time,
        "page": page,
        "unit": session.unit if session else None,
        "unit_name": session.name if session else "",
        "person": session.person if session else None,
        "csrf": session.csrf if session else "",
        **extra,
    }
    response = aiohttp_jinja2.render_template(template, request, context, app_key=TEMPLATES)
    response.set_status(status)
    if request.query.get("lang") in ("vi", "en"):
        response.set_cookie("lang", request.query["lang"], samesite="Strict", path=PATH)
    return response


def error_words(request: web.Request, exc: GatewayError) -> str:
    """A refusal in the page's language when the console names its code, else the hub's
    own message; the stable code in brackets, for the documentation."""
    lang = pick_language(request.query.get("lang"), request.cookies.get("lang"))
    text = error_text(lang, exc.code)
    return f"{exc.message if text == error_text(lang, '') else text} ({exc.code})"
