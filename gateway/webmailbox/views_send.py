"""Sending: the compose page (recipients from the directory tree or groups, found by name
with or without diacritics), the streamed send, and the list of sent documents."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from gateway.api.limits import MAX_BODY, ByteBudget
from gateway.console.session import check_same_origin
from gateway.errors import CsrfError, GatewayError
from gateway.text import fold
from gateway.webmailbox.compose import SendForm, read_send_form
from gateway.webmailbox.context import HUB
from gateway.webmailbox.i18n import URGENCIES
from gateway.webmailbox.listing import sent, unit_names
from gateway.webmailbox.pages import error_words, render, require
from gateway.webmailbox.session import PATH, UnitSession

routes = web.RouteTableDef()


@dataclass
class Node:
    """A unit of the recipient tree."""

    code: str
    name: str
    children: list[Node] = field(default_factory=list)


@routes.get(PATH + "/compose")
async def compose(request: web.Request) -> web.Response:
    """The send form; ``?q=`` narrows the units and groups to those whose name or code
    contains the text (``ke hoach`` finds ``Kế hoạch``)."""
    session = await require(request)
    return await _compose_page(request, session)


async def _compose_page(
    request: web.Request, session: UnitSession, *, status: int = 200, **extra: Any
) -> web.Response:
    hub = request.app[HUB]
    units, groups = await asyncio.gather(hub.directory.list(), hub.directory.groups())
    units = [u for u in units if u.code != session.unit]
    query = request.query.get("q", "").strip()
    if query:
        key = fold(query)
        units = [u for u in units if key in fold(u.name) or key in u.code.lower()]
        groups = [g for g in groups if key in fold(g.name or "") or key in g.code.lower()]
    roots = [Node(u.code, u.name) for u in units] if query else _tree(units)
    return render(
        request, "compose.html", "compose", status=status, roots=roots, groups=groups,
        q=query, urgencies=URGENCIES, **extra,
    )  # fmt: skip


def _tree(units: list[Any]) -> list[Node]:
    nodes = {u.code: Node(u.code, u.name) for u in units}
    children: defaultdict[str | None, list[Node]] = defaultdict(list)
    for u in units:
        children[u.parent if u.parent in nodes else None].append(nodes[u.code])
    for code, node in nodes.items():
        node.children = children.get(code, [])
    return children[None]


@routes.post(PATH + "/send")
async def send(request: web.Request) -> web.StreamResponse:
    """Seal and submit the form's document as the session's unit; then its timeline."""
    session = await require(request)
    check_same_origin(request)
    hub, stored = request.app[HUB], list[Any]()
    form = SendForm()
    try:
        budget = ByteBudget(request.app[MAX_BODY])
        form = await read_send_form(request, session.csrf, hub.blobs, budget, stored)
        result = await hub.submit_document(session.principal, form.metadata(), form.files)
    except CsrfError:
        await asyncio.shield(hub.finish_upload(stored, refused=True))
        raise
    except GatewayError as exc:
        await asyncio.shield(hub.finish_upload(stored, refused=True))
        values = {**form.fields, "to": form.to}
        return await _compose_page(
            request, session, status=exc.http_status, error=error_words(request, exc), values=values
        )
    except BaseException:
        await asyncio.shield(hub.finish_upload(stored, refused=True))
        raise
    await hub.finish_upload(stored, refused=False)
    raise web.HTTPSeeOther(f"{PATH}/documents/{result.message_id}?done=sent")


@routes.get(PATH + "/sent")
async def sent_list(request: web.Request) -> web.Response:
    """Documents the unit sent, newest first, with each recipient's state."""
    session = await require(request)
    hub = request.app[HUB]
    entries = await sent(hub, session.principal)
    codes = [c for e in entries for c in e.states]
    names = await unit_names(hub, codes)
    return render(request, "sent.html", "sent", entries=entries, names=names)
