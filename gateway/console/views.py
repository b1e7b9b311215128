"""Console pages: login, overview, search (+CSV), timeline, unit tree, dead letters, SSE.

Server-rendered with autoescaped Jinja2 templates; no inline script (strict CSP);
every POST carries the session's CSRF token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from gateway.api.downloads import export_response
from gateway.console.context import CODEC, DATA, HUB, NAMES, STOP
from gateway.console.i18n import (
    audit_action,
    audit_actor,
    dead_letter_reason,
    error_text,
    pick_language,
    state_namer,
    translator,
)
from gateway.console.people import helpers
from gateway.console.session import (
    COOKIE,
    ConsoleSession,
    check_csrf,
    check_same_origin,
    set_cookie,
)
from gateway.directory.last_seen import check_days
from gateway.directory.principal import Principal
from gateway.errors import AuthError, GatewayError, NotFoundError
from gateway.facade import SearchFilters
from gateway.untrusted import clean_text, parse_datetime

routes = web.RouteTableDef()

STATES = (
    "submitted", "queued", "delivered", "received", "rejected", "accepted", "assigned",
    "processing", "completed", "recall_requested", "recall_agreed", "recall_refused",
    "expired", "failed",
)  # fmt: skip


#: The request's checked session (or None), read once per request by :func:`_session`.
_SESSION: web.RequestKey[ConsoleSession | None] = web.RequestKey("console_session")
#: Who the session's token stands for now (a leader: with its scope), once per request.
_PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("console_principal")
#: Unit names by code, read once per request (for pages behind the login).
_NAMES: web.RequestKey[dict[str, str]] = web.RequestKey("console_names")


async def _session(request: web.Request) -> ConsoleSession | None:
    """A valid cookie whose operator token is not revoked (a session ends with its token)."""
    if _SESSION not in request:
        try:
            session = request.app[CODEC].read(request.cookies.get(COOKIE))
        except AuthError:
            session = None
        principal = None
        if session is not None:
            principal = await request.app[HUB].session_principal(session.token_id)
        if principal is None:
            session = None
        else:
            request[_PRINCIPAL] = principal
        request[_SESSION] = session
    return request[_SESSION]


def _principal(request: web.Request) -> Principal:
    """The logged-in operator (call after :func:`_require`)."""
    return request[_PRINCIPAL]


async def _token_active(request: web.Request, session: ConsoleSession) -> bool:
    return await request.app[HUB].session_valid(session.token_id)


def _lang(request: web.Request) -> str:
    return pick_language(request.query.get("lang"), request.cookies.get("lang"))


def _context(request: web.Request, page: str, **extra: Any) -> dict[str, Any]:
    lang = _lang(request)
    session = request.get(_SESSION)
    people = helpers(lang, request.get(_NAMES) or {})
    return {
        "lang": lang,
        "_": translator(lang),
        "state_name": state_namer(lang),
        "action_name": lambda action: audit_action(lang, action),
        "actor_name": lambda actor: audit_actor(lang, actor, people["unit"]),
        **people,
        "page": page,
        "operator": session.operator if session else None,
        "scope": request[_PRINCIPAL].scope if _PRINCIPAL in request else None,
        "csrf": session.csrf if session else "",
        **extra,
    }


def _render(request: web.Request, template: str, page: str, **extra: Any) -> web.Response:
    context = _context(request, page, **extra)
    response = aiohttp_jinja2.render_template(template, request, context)
    if request.query.get("lang") in ("vi", "en"):
        response.set_cookie("lang", request.query["lang"], samesite="Strict", path="/console")
    return response


async def _require(request: web.Request) -> ConsoleSession:
    session = await _session(request)
    if session is None:
        raise web.HTTPSeeOther("/console/login")
    request[_NAMES] = await request.app[NAMES].get(request.app[HUB])
    return session


def error_page(request: web.Request, exc: GatewayError) -> web.Response:
    """A console error as a page in the reader's language, with its stable code."""
    message = error_text(_lang(request), exc.code)
    response = _render(request, "error.html", "error", error=message, error_code=exc.code)
    response.set_status(exc.http_status)
    return response


@routes.get("/console/login")
async def login_form(request: web.Request) -> web.Response:
    """The login page."""
    await _session(request)
    return _render(request, "login.html", "login")


@routes.post("/console/login")
async def login(request: web.Request) -> web.StreamResponse:
    """Exchange an operator token for a session cookie (only from the console's own page)."""
    form = await request.post()
    token = form.get("token")
    try:
        check_same_origin(request)
        if not isinstance(token, str) or not token:
            raise AuthError("token required", code="auth.required")
        principal, token_id = await request.app[HUB].operator_login(token.strip())
    except GatewayError as exc:
        message = error_text(_lang(request), exc.code)
        response = _render(request, "login.html", "login", error=message, error_code=exc.code)
        response.set_status(exc.http_status)
        return response
    cookie, _ = request.app[CODEC].issue(str(principal.operator), token_id)
    redirect = web.HTTPSeeOther("/console")
    set_cookie(redirect, cookie)
    raise redirect


@routes.post("/console/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    session = await _require(request)
    await check_csrf(request, session)
    redirect = web.HTTPSeeOther("/console/login")
    redirect.del_cookie(COOKIE, path="/console")
    raise redirect


@routes.get("/console")
async def overview(request: web.Request) -> web.Response:
    """Counters and the overdue list."""
    await _require(request)
    data, p = request.app[DATA], _principal(request)
    stats, overdue = await asyncio.gather(data.overview(p), data.overdue(p))
    return _render(request, "overview.html", "overview", stats=stats, overdue=overdue)


def _filters(query: Any) -> SearchFilters:
    def day(name: str, end: bool = False) -> datetime | None:
        text = query.get(name) or ""
        if not text:
            return None
        parsed = parse_datetime(text, f"date {name!r}", code="request.invalid")
        return parsed.replace(hour=23, minute=59, second=59) if end and len(text) == 10 else parsed

    return SearchFilters(
        unit=clean_text(query.get("unit") or "", "unit") or None,
        state=clean_text(query.get("state") or "", "state") or None,
        since=day("since"),
        until=day("until", end=True),
        text=clean_text(query.get("q") or "", "q") or None,
    )


@routes.get("/console/messages")
async def messages(request: web.Request) -> web.Response:
    """Search by unit, state, date range and subject text."""
    await _require(request)
    query = request.query
    page = await request.app[HUB].search_page(
        _principal(request), _filters(query), cursor=query.get("cursor") or None, limit=50
    )  # each sender under the name it had when it sent (issue 24)
    plain = {k: v for k, v in query.items() if k not in ("cursor", "lang") and v}
    next_query = urlencode({**plain, "cursor": page["next_cursor"] or ""})
    return _render(
        request, "messages.html", "messages", items=page["items"], q=dict(query),
        states=STATES, next_cursor=page["next_cursor"], next_query=next_query,
        query_string=urlencode(plain), hint=page["hint"], units=page["units"],
    )  # fmt: skip


@routes.get("/console/messages.{fmt:csv|xlsx}")
async def messages_export(request: web.Request) -> web.StreamResponse:
    """The same search as CSV or XLSX (every page)."""
    await _require(request)
    fmt = request.match_info["fmt"]
    export = await request.app[HUB].search_export(_principal(request), _filters(request.query), fmt)
    return export_response(export)


@routes.get("/console/messages/{id}")
async def message(request: web.Request) -> web.Response:
    """One message's timeline and audit trail."""
    await _require(request)
    message_id, p = request.match_info["id"], _principal(request)
    status = await request.app[HUB].status(p, message_id)
    trail = await request.app[DATA].audit_trail(p, message_id)
    now = await request.app[HUB].successor_now(p, status["sender"])
    return _render(request, "message.html", "messages", status=status, audit=trail, sender_now=now)


@routes.get("/console/units")
async def units(request: web.Request) -> web.Response:
    """The unit tree with mailbox depth and last seen; ``?not_seen_days=N``: only the
    units never seen, or last seen N days ago or longer."""
    await _require(request)
    data = request.app[DATA]
    text = request.query.get("not_seen_days", "").strip()
    if not text:
        roots = await data.unit_tree(_principal(request))
        return _render(request, "units.html", "units", roots=roots, days="")
    days = check_days(int(text)) if text.isdigit() else check_days(-1)
    unseen = await data.units_not_seen(_principal(request), days)
    return _render(request, "units.html", "units", roots=[], unseen=unseen, days=days)


@routes.get("/console/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    """Dead-lettered messages, each with why in words, and retry and discard (the whole
    hub's: not for a leader)."""
    await _require(request)
    rows = _dead_rows(request, await request.app[HUB].dead_letters(_principal(request)))
    return _render(request, "dead.html", "dead", items=rows)


def _dead_rows(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The hub's dead letters (``Hub.dead_letters``) as the pages show them."""
    lang = _lang(request)
    return [
        {"id": d["id"], "message_id": d["message_id"] or "", "routing_key": d["unit"],
         "reason": dead_letter_reason(lang, d["reason"], d["error"] or "", d["attempts"])}
        for d in items
    ]  # fmt: skip


@routes.post(r"/console/dead-letters/{id}/{action:retry|discard}")
async def resolve_dead_letter(request: web.Request) -> web.StreamResponse:
    """Retry or discard a dead letter (CSRF-checked, audited). Discarding loses the
    message for good, so it first shows what would go and asks (``confirm=yes``)."""
    session = await _require(request)
    await check_csrf(request, session)
    hub, p, wanted = request.app[HUB], _principal(request), request.match_info["id"]
    action = request.match_info["action"]
    if action == "discard" and (await request.post()).get("confirm") != "yes":
        items = [d for d in await hub.dead_letters(p) if d["id"] == wanted]
        rows = _dead_rows(request, items)
        return _render(request, "dead_discard.html", "dead", items=rows, dead_id=wanted)
    with contextlib.suppress(NotFoundError):  # gone meanwhile: the list shows what is left
        await hub.resolve_dead_letter(p, wanted, action)
    raise web.HTTPSeeOther("/console/dead-letters")


@routes.get("/console/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-sent events: one per new audit entry (works across hub processes); the
    stream ends when the session's operator token is revoked."""
    session = await _require(request)
    hub, p = request.app[HUB], _principal(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    last = await hub.last_audit_seq(p)
    stop = request.app[STOP]
    await response.write(b": connected\n\n")
    while not stop.is_set() and await _token_active(request, session):
        found, last = await hub.audit_events(p, last)  # a leader: its scope's events only
        for event in found:
            kind = "receipt" if event["action"].startswith("receipt") else "message"
            await response.write(f"event: {kind}\ndata: {json.dumps(event)}\n\n".encode())
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        except TimeoutError:
            await response.write(b": ping\n\n")
    return response
