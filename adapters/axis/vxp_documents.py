"""The SDK's ``KnobstickService`` on the hub: documents and statuses over ``/vxp``.

Each operation reuses the axis adapter's machinery, so every document and status goes
through the pipeline exactly as over ``/axis/v1``: ``sendEdoc`` is
:func:`adapters.axis.inbound.submit_edxml`; the received list, ``getEdoc`` and
``updateStatus`` are :mod:`adapters.axis.outbound`'s pending list, rendering and confirm.
A ``docId`` of the received list is the axis ``<item id>@<unit>``; the ``DocId`` that
``sendEdoc`` answers is the hub's message id (edoc) or receipt id (status).
"""

from __future__ import annotations

import base64
from typing import Any, Final, cast

import structlog
from aiohttp import web

from adapters.axis.inbound import MessageType, submit_edxml
from adapters.axis.outbound import (
    MAX_LIMIT,
    PendingItem,
    confirm,
    find_item,
    list_pending,
    render_item,
)
from adapters.axis.vxp_auth import Operation, VxpContext
from adapters.axis.vxp_wire import matching_file, ok_answer
from gateway.directory.principal import Principal
from gateway.envelope import codec
from gateway.errors import ForbiddenError, NotFoundError, RequestError
from gateway.facade import AdapterFacade, SearchFilters
from gateway.pipeline.states import DELIVERED, TRANSPORT_STATES
from gateway.xmlsafe import parse_xml

__all__ = ["DOCUMENT_OPERATIONS"]

log = structlog.get_logger("adapters.axis.vxp")

_SERVICE_TYPE: Final = "eDoc"
_TRANSPORT: Final = ("done", "fail", "processing")
_SENT_LIMIT: Final = 50
_FAILED: Final = ("failed", "expired")


def _messagetype(value: str | None) -> MessageType | None:
    if value is None or value.lower() == "all":
        return None
    if value.lower() in ("edoc", "status"):
        return cast(MessageType, value.lower())
    raise RequestError("messagetype must be edoc or status", code="axis.bad_message_type")


async def send_edoc(ctx: VxpContext) -> dict[str, Any]:
    """``sendEdoc``: the edXML body (checked against ``hash-file``) into the hub."""
    hash_file = ctx.header("hash-file")
    if hash_file is None:
        raise RequestError("the hash-file header is required", code="vxp.hash_file_missing")
    sender = ctx.header("from")
    if sender is not None and sender not in ctx.units:
        raise ForbiddenError(
            f"this system may not send as {sender}", code="axis.sender_not_allowed"
        )
    expected = _messagetype(ctx.header("messagetype"))
    data = matching_file(hash_file, await ctx.request.read())
    if data is None:
        raise RequestError("hash-file does not match the body", code="vxp.hash_file_mismatch")
    # the edXML From must be the `from` header when the SDK sends one
    units = [sender] if sender is not None else ctx.units
    result = await submit_edxml(ctx.hub, data, units, expected)
    return ok_answer(DocId=result.doc_id)


def _knobstick(item: PendingItem) -> dict[str, Any]:
    """One row of ``getReceivedEdocList`` (the SDK's ``Knobstick``)."""
    e = item.entry
    return {
        "docId": item.doc_id,
        "serviceType": _SERVICE_TYPE,
        "messageType": item.messagetype,
        "created_time": e.get("created_at") or "",
        "updated_time": e.get("created_at") or "",
        "from": e.get("sender") or "",
        "to": item.unit,
        "status": "initial",
        "status_desc": "pending",
    }


async def _pending(ctx: VxpContext) -> list[PendingItem]:
    kind = _messagetype(ctx.header("messagetype"))
    return await list_pending(ctx.hub, ctx.units, messagetype=kind, limit=MAX_LIMIT, wait=0.0)


async def received_list(ctx: VxpContext) -> dict[str, Any]:
    """``getReceivedEdocList``: the pending documents or statuses (``messagetype``)."""
    return ok_answer(data=[_knobstick(i) for i in await _pending(ctx)])


async def _item(ctx: VxpContext) -> PendingItem:
    doc_id = ctx.header("docId")
    if doc_id is None:
        raise RequestError("the docId header is required", code="vxp.missing_header")
    item = await find_item(ctx.hub, doc_id, ctx.units)
    if item is None:
        raise NotFoundError(f"no pending item {doc_id!r}", code="mailbox.item_not_found")
    return item


async def get_edoc(ctx: VxpContext) -> dict[str, Any]:
    """``getEdoc``: one pending item's edXML, base64 in ``data``."""
    xml = await render_item(ctx.hub, await _item(ctx))
    return ok_answer(data=base64.b64encode(xml).decode())


async def download_edoc(ctx: VxpContext) -> web.Response:
    """``downloadEdoc``: one pending item's edXML as the raw body (the SDK saves it)."""
    xml = await render_item(ctx.hub, await _item(ctx))
    return web.Response(body=xml, content_type="application/xml", charset="utf-8")


async def update_status(ctx: VxpContext) -> dict[str, Any]:
    """``updateStatus``: ``done`` (taken; 01 for a new document), ``fail``, ``processing``."""
    status = (ctx.header("status") or "").lower()
    if status not in _TRANSPORT:
        raise RequestError(
            "status must be done, fail or processing", code="axis.bad_transport_status"
        )
    item = await _item(ctx)
    if status == "processing":  # the system is taking it: it stays pending until done
        log.info("vxp.processing", doc_id=item.doc_id, unit=item.unit)
        return ok_answer()
    await confirm(
        ctx.hub, item.doc_id, ctx.units, status=status, post_received=not ctx.call.system.peer
    )
    return ok_answer()


async def _count(ctx: VxpContext, kind: MessageType) -> dict[str, Any]:
    items = await list_pending(ctx.hub, ctx.units, messagetype=kind, limit=MAX_LIMIT, wait=0.0)
    return ok_answer(count=len(items))


async def count_edoc(ctx: VxpContext) -> dict[str, Any]:
    """``countReceiveEdoc``: how many documents are pending."""
    return await _count(ctx, "edoc")


async def count_status(ctx: VxpContext) -> dict[str, Any]:
    """``countReceiveStatus``: how many statuses are pending."""
    return await _count(ctx, "status")


def _send_status(state: str) -> str:
    """The transport side of a delivery, in the SDK's words."""
    if state in _FAILED:
        return "fail"
    if state in TRANSPORT_STATES and state != DELIVERED:
        return "processing"
    return "done"


def _sent_rows(status: dict[str, Any], notation: str) -> list[dict[str, Any]]:
    """One ``StatusResult`` per recipient: its latest edXML status."""
    rows = []
    for r in status.get("recipients", []):
        receipts = r.get("receipts") or []
        latest = receipts[-1] if receipts else {}
        received: dict[str, Any] = next((x for x in receipts if x.get("status") == "01"), {})
        rows.append(
            {
                "serviceType": _SERVICE_TYPE,
                "messageType": "edoc",
                "senderDocId": status["id"],
                "receiverDocId": "",
                "fromCode": status.get("sender") or "",
                "toCode": r.get("unit") or "",
                "title": status.get("subject") or "",
                "notation": notation,
                "sentTime": status.get("created_at") or "",
                "receivedTime": received.get("at") or "",
                "sendStatus": _send_status(str(r.get("state"))),
                "sendStatusDesc": r.get("state") or "",
                "receiveStatus": latest.get("status") or "",
                "receiveStatusDesc": latest.get("name") or r.get("state") or "",
            }
        )
    return rows


async def _sent_status(ctx: VxpContext, message_id: str) -> tuple[dict[str, Any], str]:
    """The status of a message one of the caller's units sent, and its notation."""
    for unit in ctx.units:
        p = Principal(unit=unit)
        try:
            status: dict[str, Any] = await ctx.hub.status(p, message_id)
        except (NotFoundError, ForbiddenError):
            continue
        if status.get("sender") == unit:
            return status, await _notation(ctx.hub, p, message_id)
    raise NotFoundError(f"no sent document {message_id!r}", code="message.not_found")


async def _notation(hub: AdapterFacade, p: Principal, message_id: str) -> str:
    """The document's number and notation ("12/VP"), from its stored envelope."""
    limits = hub.config.hub
    xml = await hub.envelope_xml(p, message_id)
    meta = codec.envelope_from_element(
        parse_xml(xml, max_bytes=limits.max_xml_bytes, max_depth=limits.max_xml_depth)
    ).document
    return "/".join(x for x in (meta.number, meta.notation) if x)


async def _recent_sent(ctx: VxpContext) -> list[str]:
    """The ids of the latest documents the caller's units sent."""
    operator = Principal(operator=f"vxp:{ctx.call.system.system_id}")
    ids: list[str] = []
    for unit in ctx.units:
        page = await ctx.hub.search(operator, SearchFilters(sender=unit), limit=_SENT_LIMIT)
        ids.extend(str(m["id"]) for m in page.get("items", []))
    return ids[:_SENT_LIMIT]


async def sent_list(ctx: VxpContext) -> dict[str, Any]:
    """``getSentEdocList``: per recipient, where a sent document stands (``docId``), or
    the same for the latest documents sent when no ``docId`` is given."""
    doc_id = ctx.header("docId")
    if doc_id is not None and "@" in doc_id:
        doc_id = None  # a received item's docId left in the SDK's header map by getEdoc
    ids = [doc_id] if doc_id is not None else await _recent_sent(ctx)
    rows: list[dict[str, Any]] = []
    for message_id in ids:
        rows.extend(_sent_rows(*await _sent_status(ctx, message_id)))
    return ok_answer(data=rows)


DOCUMENT_OPERATIONS: Final[dict[str, Operation]] = {
    "sendEdoc": send_edoc,
    "getReceivedEdocList": received_list,
    "getEdoc": get_edoc,
    "downloadEdoc": download_edoc,
    "updateStatus": update_status,
    "getSentEdocList": sent_list,
    "countReceiveEdoc": count_edoc,
    "countReceiveStatus": count_status,
}
