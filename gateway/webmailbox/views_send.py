"""Sending: the compose page (recipients from the directory tree or groups, found by name
with or without diacritics), the streamed send, and the list of sent documents."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from gateway.api.limits import MAX_BODY, ByteBudget
from gateway.api.uploads import uploader
from gateway.console.session import check_same_origin
from gateway.errors import CsrfError, GatewayError, RequestError
from gateway.text import fold
from gateway.webmailbox.compose import SendForm, read_send_form
from gateway.webmailbox.context import HUB
from gateway.webmailbox.i18n import URGENCIES
from gateway.webmailbox.listing import sent
from gateway.webmailbox.pages import attribute, error_words, render, require
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
    refers_to = request.query.get("refers_to", "")
    if not refers_to:
        return await _compose_page(request, session)
    try:
        values, subject = await _change_of(request, session, refers_to)
    except GatewayError as exc:
        return render(
            request,
            "error.html",
            "compose",
            status=exc.http_status,
            error=error_words(request, exc),
        )
    return await _compose_page(request, session, values=values, original_subject=subject)


async def _change_of(
    request: web.Request, session: UnitSession, refers_to: str
) -> tuple[dict[str, Any], str]:
    """The form's values for a replacement or update of the unit's own document
    ``refers_to`` (its recipients and metadata), and that document's subject."""
    kind = request.query.get("kind", "replace")
    if kind not in ("replace", "update"):
        raise RequestError("kind is 'replace' or 'update'", code="request.invalid")
    env, recipients = await request.app[HUB].document_for_change(session.principal, refers_to)
    doc = env.document
    values = {
        "to": list(recipients), "kind": kind, "refers_to": refers_to,
        "subject": doc.subject, "number": doc.number or "", "notation": doc.notation or "",
        "doc_type": doc.doc_type or "", "signer": doc.signer_name or "",
        "urgency": doc.urgency or "", "due_date": _iso(doc.due_date),
        "issued_on": _iso(doc.issued_on),
    }  # fmt: skip
    return values, doc.subject


def _iso(day: Any) -> str:
    return day.isoformat() if day else ""


async def _compose_page(
    request: web.Request, session: UnitSession, *, status: int = 200, **extra: Any
) -> web.Response:
    found, groups = await request.app[HUB].send_choices(session.principal)
    units = [u for u in found if u.code != session.unit]
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
        store = uploader(hub, session.principal)
        form = await read_send_form(request, session.csrf, store, budget, stored)
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
    detail = {"kind": form.fields["kind"]} if form.fields.get("kind") else {}
    await attribute(request, session, "mailbox.sent", result.message_id, **detail)
    raise web.HTTPSeeOther(f"{PATH}/documents/{result.message_id}?done=sent")


@routes.get(PATH + "/sent")
async def sent_list(request: web.Request) -> web.Response:
    """Documents the unit sent, newest first, with each recipient's state."""
    session = await require(request)
    hub = request.app[HUB]
    listing = await sent(hub, session.principal)
    return render(request, "sent.html", "sent", entries=listing.entries, names=listing.names)
