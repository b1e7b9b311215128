"""The hub's own notices in the mailbox: not documents, shown apart and marked so.

A notice (mailbox item of kind ``notice``, ``gateway.deadlines.escalation``) tells the
unit that a document it sent is overdue at a recipient. The inbox page lists the unit's
pending notices above its documents, each marked as a hub notice and linked to the
document it is about; the clerk dismisses them (``POST /mailbox/notices/ack``, CSRF
checked), which takes them off the unit's list as ``POST /api/v1/mailbox/ack`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway.errors import RequestError
from gateway.webmailbox.context import HUB
from gateway.webmailbox.pages import checked_post
from gateway.webmailbox.session import PATH

__all__ = ["HubNotice", "hub_notices", "routes"]

routes = web.RouteTableDef()


@dataclass(frozen=True)
class HubNotice:
    """One pending notice as the inbox shows it."""

    item_id: int
    message_id: str
    #: The unit the notice is about (the late recipient).
    about: str
    text: str
    created_at: str


def hub_notices(items: Sequence[dict[str, Any]]) -> list[HubNotice]:
    """The notices among a unit's pending items (``Hub.mailbox``), oldest first."""
    return [
        HubNotice(
            int(i["item_id"]),
            str(i.get("message_id") or ""),
            str(i.get("sender") or ""),
            str(i.get("subject") or ""),
            str(i.get("created_at") or ""),
        )
        for i in items
        if i.get("kind") == "notice"
    ]


@routes.post(PATH + "/notices/ack")
async def dismiss(request: web.Request) -> web.Response:
    """Take the unit's pending notices named in the form (``item``, repeated) off its list;
    back to the inbox. An item that is not a number is ``request.invalid`` (400); one that
    is not among the unit's pending notices (dismissed already: the form posted twice) is
    passed over."""
    session = await checked_post(request)
    hub = request.app[HUB]
    form = await request.post()
    wanted = {str(v) for v in form.getall("item", [])}
    if not wanted or not all(
        isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 18
        for v in form.getall("item", [])
    ):
        raise RequestError("'item' is one or more notice numbers", code="request.invalid")
    items = await hub.mailbox(session.principal, wait=0, limit=500)
    ids = [n.item_id for n in hub_notices(items) if str(n.item_id) in wanted]
    if ids:
        await hub.ack_items(session.principal, ids)
    raise web.HTTPSeeOther(PATH)
