"""edXML out: a caller's pending documents and statuses, one as edXML, and confirming it.

The pending list is the hub mailbox of the caller's unit (a peer hub: of every unit it
acts for). A ``docId`` is ``<mailbox item id>@<unit>``. A document is rendered from the
stored envelope with :func:`gateway.edxml.envelope_to_edxml` (the attachments re-encoded
from the blob store), a status from the stored signed receipt with
:func:`gateway.edxml.receipt_to_edxml_status`.

Confirming ``done`` takes the item off the pending list; for a document received by an
office system it also posts status 01 (received) if the office has not said anything yet.
``fail`` leaves the item pending (it is listed again) and logs the reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import structlog

from adapters.axis.inbound import MessageType
from gateway.directory.principal import Principal
from gateway.edxml import envelope_to_edxml, receipt_to_edxml_status, write_document, write_status
from gateway.edxml.model import ResponseFor
from gateway.envelope import codec
from gateway.envelope.model import Attachment, Receipt, Status
from gateway.errors import NotFoundError, RequestError
from gateway.facade import AdapterFacade
from gateway.pipeline.states import TRANSPORT_STATES
from gateway.xmlsafe import parse_xml

__all__ = ["PendingItem", "confirm", "find_item", "list_pending", "parse_doc_id", "render_item"]

log = structlog.get_logger("adapters.axis")

MAX_LIMIT: Final = 500
_KINDS: Final[dict[str, MessageType]] = {"document": "edoc", "receipt": "status"}


@dataclass(frozen=True, slots=True)
class PendingItem:
    """One mailbox entry as the axis lists it."""

    unit: str
    entry: dict[str, Any]

    @property
    def doc_id(self) -> str:
        """``<item id>@<unit>``."""
        return f"{self.entry['item_id']}@{self.unit}"

    @property
    def messagetype(self) -> MessageType:
        """``edoc`` for a document, ``status`` for a receipt."""
        return _KINDS[str(self.entry["kind"])]

    def to_json(self) -> dict[str, Any]:
        """The list entry of the axis API."""
        e = self.entry
        return {
            "docId": self.doc_id,
            "messagetype": self.messagetype,
            "messageId": e.get("message_id"),
            "receiptId": e.get("receipt_id"),
            "from": e.get("sender"),
            "to": self.unit,
            "subject": e.get("subject"),
            "createdAt": e.get("created_at"),
        }


def parse_doc_id(doc_id: str, units: Collection[str]) -> tuple[str, str]:
    """``(unit, item_id)`` of a docId the caller may see; ``mailbox.item_not_found``."""
    item_id, _, unit = doc_id.partition("@")
    if not item_id.isdigit() or unit not in units:
        raise NotFoundError(f"no pending item {doc_id!r}", code="mailbox.item_not_found")
    return unit, item_id


async def list_pending(
    hub: AdapterFacade,
    units: Sequence[str],
    *,
    messagetype: MessageType | None,
    limit: int,
    wait: float,
) -> list[PendingItem]:
    """The pending items of ``units`` (long-poll only for a single unit)."""
    limit = max(1, min(limit, MAX_LIMIT))
    items: list[PendingItem] = []
    for unit in units:
        entries = await hub.mailbox(
            Principal(unit=unit), wait=wait if len(units) == 1 else 0.0, limit=limit
        )
        # the hub's own notices (overdue deliveries) have no edXML form
        items.extend(PendingItem(unit, e) for e in entries if e.get("kind") in _KINDS)
        if len(items) >= limit:
            break
    if messagetype is not None:
        items = [i for i in items if i.messagetype == messagetype]
    return await _in_causal_order(hub, items[:limit])


#: A delivery's statuses only move forward; equal timestamps are ordered by this rank.
_RANK: Final = {"01": 1, "02": 2, "03": 3, "04": 4, "05": 5, "06": 6, "13": 7, "15": 8, "16": 8}


async def _in_causal_order(hub: AdapterFacade, items: list[PendingItem]) -> list[PendingItem]:
    """Statuses in the order they were stated, documents by arrival.

    The hub's relay and consumers work concurrently, so receipts can enter a mailbox out
    of order; an office system must see 03 before 04. Items are sorted by the second of
    the event (a receipt's own timestamp; edXML has whole seconds), then the status rank.
    """
    keys: list[tuple[datetime, int]] = []
    for item in items:
        if item.messagetype == "edoc":
            text = str(item.entry.get("created_at") or "1970-01-01T00:00:00Z")
            keys.append((_utc(datetime.fromisoformat(text.replace("Z", "+00:00"))), 0))
            continue
        receipt = await _receipt(hub, Principal(unit=item.unit), str(item.entry.get("receipt_id")))
        keys.append((_utc(receipt.timestamp), _RANK.get(receipt.status.code, 9)))
    order = sorted(range(len(items)), key=lambda i: keys[i])
    return [items[i] for i in order]


async def _receipt(hub: AdapterFacade, p: Principal, receipt_id: str) -> Receipt:
    """A stored receipt the caller may see, parsed from its signed XML."""
    xml = await hub.receipt_xml(p, receipt_id)
    limits = hub.config.hub
    return codec.receipt_from_element(
        parse_xml(xml, max_bytes=limits.max_xml_bytes, max_depth=limits.max_xml_depth)
    )


def _utc(at: datetime) -> datetime:
    """UTC, to the whole second (edXML timestamps have no fractions)."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    return at.replace(microsecond=0)


async def find_item(hub: AdapterFacade, doc_id: str, units: Collection[str]) -> PendingItem | None:
    """The pending item named ``doc_id``, or None if it is not (or no longer) pending."""
    unit, item_id = parse_doc_id(doc_id, units)
    for entry in await hub.mailbox(Principal(unit=unit), wait=0.0, limit=MAX_LIMIT):
        if str(entry.get("item_id")) == item_id:
            return PendingItem(unit, entry)
    return None


async def render_item(hub: AdapterFacade, item: PendingItem) -> bytes:
    """The item as an edXML message."""
    p = Principal(unit=item.unit)
    message_id = str(item.entry["message_id"])
    if item.messagetype == "edoc":
        return await render_document(hub, p, message_id)
    return await render_status(hub, p, message_id, str(item.entry.get("receipt_id")))


async def render_document(hub: AdapterFacade, p: Principal, message_id: str) -> bytes:
    """The stored envelope of ``message_id`` as an edXML document, attachments inline."""
    xml = await hub.envelope_xml(p, message_id)
    limits = hub.config.hub
    env = codec.envelope_from_element(
        parse_xml(xml, max_bytes=limits.max_xml_bytes, max_depth=limits.max_xml_depth)
    )
    data: dict[str, bytes] = {}
    for manifest in env.attachments:
        _, path = await hub.attachment(p, message_id, manifest.name)
        data[manifest.sha256] = await asyncio.to_thread(Path(path).read_bytes)

    def load(att: Attachment) -> bytes:
        return data[att.sha256]

    return write_document(envelope_to_edxml(env, load))


async def render_status(
    hub: AdapterFacade, p: Principal, message_id: str, receipt_id: str
) -> bytes:
    """A stored receipt of ``message_id`` as an edXML status message."""
    receipt = await _receipt(hub, p, receipt_id)  # visibility: only a party to it
    if str(receipt.message_id) != message_id:
        raise NotFoundError(f"no receipt {receipt_id}", code="mailbox.item_not_found")
    status = receipt_to_edxml_status(receipt)
    if status.response_for is None or status.response_for.document_id == message_id:
        # a receipt made by the hub (JSON API, "done"): name the document as its office does
        status = replace(status, response_for=await _response_for(hub, p, message_id))
    return write_status(status)


async def _response_for(hub: AdapterFacade, p: Principal, message_id: str) -> ResponseFor:
    """ResponseFor of a document: its edXML DocumentId, sender, code and date."""
    xml = await hub.envelope_xml(p, message_id)
    limits = hub.config.hub
    env = codec.envelope_from_element(
        parse_xml(xml, max_bytes=limits.max_xml_bytes, max_depth=limits.max_xml_depth)
    )
    doc = envelope_to_edxml(replace(env, attachments=()), lambda _: b"")
    code = doc.code
    notation = "/".join(x for x in (code.number, code.notation) if x) if code else None
    return ResponseFor(
        organ_id=env.sender,
        code=notation or None,
        promulgation_date=doc.promulgation.date if doc.promulgation else None,
        document_id=doc.document_id,
    )


async def confirm(
    hub: AdapterFacade,
    doc_id: str,
    units: Collection[str],
    *,
    status: str,
    reason: str | None = None,
    post_received: bool = True,
) -> dict[str, Any]:
    """``done``: off the pending list (and 01 for a new document); ``fail``: keep it."""
    if status not in ("done", "fail"):
        raise RequestError("status must be done or fail", code="axis.bad_transport_status")
    item = await find_item(hub, doc_id, units)
    if item is None:
        return {"status": "OK", "docId": doc_id, "pending": False}
    if status == "fail":
        log.warning("axis.transport_failed", doc_id=doc_id, unit=item.unit, reason=reason)
        return {"status": "OK", "docId": doc_id, "pending": True}
    p = Principal(unit=item.unit)
    if item.messagetype == "edoc" and post_received and await _unanswered(hub, p, item):
        await hub.post_receipt(p, str(item.entry["message_id"]), status=Status.RECEIVED.code)
    else:
        await hub.ack_item(p, str(item.entry["item_id"]))
    return {"status": "OK", "docId": doc_id, "pending": False}


async def _unanswered(hub: AdapterFacade, p: Principal, item: PendingItem) -> bool:
    """True while the recipient's delivery has no status of its own yet (a revoked
    document takes none: "done" then only takes it off the list)."""
    status = await hub.status(p, str(item.entry["message_id"]))
    if status.get("document_state") == "revoked":
        return False
    for recipient in status.get("recipients", []):
        if recipient.get("unit") == p.unit:
            return recipient.get("state") in TRANSPORT_STATES
    return False
