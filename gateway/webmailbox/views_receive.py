"""Receiving: the inbox, one document (metadata, files, PDF preview, timeline), answering
with 01–06 or a rejection with its reason, and the sender's recall (13).

Every action on one document goes through the hub facade as the session's unit: a
document the unit neither sent nor received is ``message.not_found``, as in the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from gateway.api.downloads import attachment_response, check_range, content_disposition
from gateway.errors import GatewayError, RequestError
from gateway.untrusted import clean_text
from gateway.webmailbox.clock import local_date
from gateway.webmailbox.compose import envelope_of
from gateway.webmailbox.context import HUB, MailboxHub
from gateway.webmailbox.i18n import answers, translator
from gateway.webmailbox.listing import received, urgency_name
from gateway.webmailbox.pages import attribute, checked_post, error_words, render, require
from gateway.webmailbox.session import PATH, UnitSession
from gateway.webmailbox.views_notices import HubNotice, hub_notices

routes = web.RouteTableDef()

_PDF = "application/pdf"
#: A previewed PDF may be framed by the mailbox's own page and nothing else.
_PREVIEW_CSP = "default-src 'none'; frame-ancestors 'self'"
_NOTICES = {
    "answered": "answered_ok", "sent": "sent_ok", "recalled": "recalled_ok",
    "revoked": "revoked_ok",
}  # fmt: skip


@routes.get(PATH)
async def inbox(request: web.Request) -> web.Response:
    """Received documents: urgent first, then newest; overdue ones marked."""
    session = await require(request)
    hub = request.app[HUB]
    notices = await _fetch_pending(hub, session)
    listing = await received(hub, session.principal)
    entries = sorted(
        listing.entries, key=lambda e: e.urgent, reverse=True
    )  # newest first within a rank
    return render(
        request, "inbox.html", "inbox", entries=entries, names=listing.names, notices=notices
    )


async def _fetch_pending(hub: MailboxHub, session: UnitSession) -> list[HubNotice]:
    """The mailbox page is the unit's endpoint: what was pending is now fetched
    (``delivered``), and the receipts it shows in its timelines are taken off the list;
    the hub's notices, which stay until dismissed."""
    items = await hub.mailbox(session.principal, wait=0, limit=500)
    receipts = [i["item_id"] for i in items if i["kind"] == "receipt"]
    if receipts:
        await hub.ack_items(session.principal, receipts)
    return hub_notices(items)


@routes.get(PATH + "/documents/{id}")
async def document(request: web.Request) -> web.Response:
    """One document: metadata, files (PDFs previewed), the timeline, the answer form."""
    session = await require(request)
    notice = _NOTICES.get(request.query.get("done", ""))
    return await _document_page(request, session, notice=notice)


async def _document_page(
    request: web.Request, session: UnitSession, *, status: int = 200, **extra: Any
) -> web.Response:
    hub, message_id = request.app[HUB], request.match_info["id"]
    try:
        timeline = await hub.status(session.principal, message_id)
        env = envelope_of(await hub.envelope_xml(session.principal, message_id))
    except GatewayError as exc:
        return render(
            request, "error.html", "inbox", status=exc.http_status, error=error_words(request, exc)
        )
    codes = [env.sender, *(r["unit"] for r in timeline["recipients"])]
    lang = request.query.get("lang") or request.cookies.get("lang") or "vi"
    return render(
        request, "document.html", "sent" if env.sender == session.unit else "inbox",
        status=status, env=env, doc=env.document, timeline=timeline,
        names=await hub.unit_names(codes), is_sender=env.sender == session.unit,
        answers=answers(lang), local_date=local_date, urgency_name=urgency_name, quote=quote,
        pdf=_PDF, pdf_verdicts=_pdf_verdicts(timeline), **extra,
    )  # fmt: skip


@routes.get(PATH + "/documents/{id}/timeline")
async def timeline_table(request: web.Request) -> web.Response:
    """The timeline table alone (what the document page's script refreshes)."""
    session = await require(request)
    hub, message_id = request.app[HUB], request.match_info["id"]
    timeline = await hub.status(session.principal, message_id)
    names = await hub.unit_names([timeline["sender"], *(r["unit"] for r in timeline["recipients"])])
    return render(request, "_timeline.html", "inbox", timeline=timeline, names=names)


def _pdf_verdicts(timeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """File name → the hub's check of the signatures inside that PDF (when it checks)."""
    report = timeline.get("pdf_signatures") or {}
    files = report.get("files") if isinstance(report, dict) else None
    return {f["name"]: f for f in files or [] if isinstance(f, dict) and "name" in f}


@routes.get(PATH + "/documents/{id}/files/{name}")
async def attachment(request: web.Request) -> web.StreamResponse:
    """One file, streamed (Range supported); ``?inline=1`` shows a PDF in the page."""
    session = await require(request)
    hub, message_id = request.app[HUB], request.match_info["id"]
    found, path = await hub.attachment(session.principal, message_id, request.match_info["name"])
    check_range(request, found.size)
    response = attachment_response(found, path)
    if request.query.get("inline") == "1" and response.headers["Content-Type"] == _PDF:
        # only a PDF is ever shown inline: any other type could be script in our origin
        response.headers["Content-Disposition"] = content_disposition(found.name, "inline")
        response.headers["Content-Security-Policy"] = _PREVIEW_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@routes.post(PATH + "/documents/{id}/answer")
async def answer(request: web.Request) -> web.StreamResponse:
    """Post the unit's status (01–06; 02 needs a reason) on a document it received."""

    async def post(hub: MailboxHub, session: UnitSession, message_id: str, form: Any) -> object:
        code, reason = _field(form, "status"), _field(form, "reason")
        if not code:
            raise RequestError("choose a status", code="request.missing_field")
        return await hub.post_receipt(
            session.principal, message_id, status=code, reason=reason or None
        )

    return await _act(request, post, "answered")


@routes.post(PATH + "/documents/{id}/recall")
async def recall(request: web.Request) -> web.StreamResponse:
    """The sender's take-back request (13) to every recipient not yet finished."""

    async def post(hub: MailboxHub, session: UnitSession, message_id: str, form: Any) -> object:
        return await hub.recall(session.principal, message_id, _field(form, "reason") or None)

    return await _act(request, post, "recalled")


@routes.post(PATH + "/documents/{id}/revoke")
async def revoke(request: web.Request) -> web.StreamResponse:
    """The sender's revocation (a document of kind revoke, referring to this one) to the
    same recipients; the hub refuses it for anyone but the sender (``request.bad_reference``)."""

    async def post(hub: MailboxHub, session: UnitSession, message_id: str, form: Any) -> object:
        timeline = await hub.status(session.principal, message_id)
        lang = request.query.get("lang") or request.cookies.get("lang") or "vi"
        metadata = revocation(timeline, _field(form, "reason"), translator(lang))
        return await hub.submit_document(session.principal, metadata, [])

    return await _act(request, post, "revoked")


def revocation(
    timeline: dict[str, Any], reason: str, words: Callable[[str], str]
) -> dict[str, Any]:
    """The metadata of a revocation of the document of ``timeline``: same recipients, the
    original's subject named, the reason as its content."""
    subject = f"{words('revoke_subject')}: {timeline['subject']}"[:2000]
    return {
        "to": [r["unit"] for r in timeline["recipients"]],
        "subject": subject,
        "kind": "revoke",
        "refers_to": timeline["id"],
        **({"content": reason} if reason else {}),
    }


async def _act(
    request: web.Request,
    act: Callable[[Any, UnitSession, str, Any], Awaitable[object]],
    done: str,
) -> web.StreamResponse:
    """Run a checked form's action as the session's unit; back to the document, with the
    hub's refusal in words (and its status) if it refused."""
    session = await checked_post(request)
    message_id = request.match_info["id"]
    form = await request.post()
    try:
        result = await act(request.app[HUB], session, message_id, form)
    except GatewayError as exc:
        return await _document_page(
            request, session, status=exc.http_status, error=error_words(request, exc)
        )
    detail = {"status": _field(form, "status")} if done == "answered" else {}
    if done == "revoked":
        detail["revocation"] = str(getattr(result, "message_id", ""))
    await attribute(request, session, f"mailbox.{done}", message_id, **detail)
    raise web.HTTPSeeOther(f"{PATH}/documents/{message_id}?done={done}")


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestError(f"{name!r} must be text", code="request.invalid")
    return clean_text(value, name).strip()
