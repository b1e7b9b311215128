"""edXML in: a document or status message from an axis caller, into the hub.

A document is mapped with :func:`gateway.edxml.edxml_to_envelope` (its attachments go
to the blob store by digest), sealed with the sending unit's key and submitted through
``hub.submit_envelope`` — so it passes the same intake, verify and accept as any other
envelope. A status becomes a receipt with the deterministic id of
:func:`gateway.edxml.ids.receipt_uuid`, signed with the issuing unit's key and posted
with ``hub.post_receipt(xml=...)``: sending the same status twice stores it once.
A take-back request (13) goes through ``hub.post_receipt(status="13")``, which asks
every recipient not yet finished.

The edXML ``From`` decides the acting unit; it must be one the caller may act for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, Literal

from gateway.directory.principal import Principal
from gateway.edxml import EdxmlDocument, EdxmlStatus, read_message
from gateway.edxml.mapping import edxml_status_to_receipt, edxml_to_envelope
from gateway.envelope.model import Attachment, Status
from gateway.errors import EdxmlError, ForbiddenError, IllegalTransitionError, NotFoundError
from gateway.facade import AdapterFacade

__all__ = ["MessageType", "Submitted", "submit_edxml"]

MessageType = Literal["edoc", "status"]


@dataclass(frozen=True, slots=True)
class Submitted:
    """What the hub made of one edXML message."""

    doc_id: str  # the message id (edoc) or receipt id (status)
    messagetype: MessageType
    created: bool

    def to_json(self) -> dict[str, Any]:
        """The axis API answer."""
        return {
            "status": "OK",
            "docId": self.doc_id,
            "messagetype": self.messagetype,
            "created": self.created,
        }


async def submit_edxml(
    hub: AdapterFacade, body: bytes, units: Collection[str], expected: MessageType | None = None
) -> Submitted:
    """Read ``body`` as edXML and hand it to the hub as the unit named in ``From``."""
    limits = hub.config.hub
    message = read_message(body, max_bytes=limits.max_body_bytes, max_depth=limits.max_xml_depth)
    kind: MessageType = "edoc" if isinstance(message, EdxmlDocument) else "status"
    if expected is not None and expected != kind:
        raise EdxmlError(
            f"messagetype says {expected} but the body is a {kind} message",
            code="axis.bad_message_type",
        )
    if isinstance(message, EdxmlDocument):
        return await submit_document(hub, message, units)
    return await submit_status(hub, message, units)


def _acting_unit(organ_id: str | None, units: Collection[str]) -> str:
    if not organ_id:
        raise EdxmlError("the message has no From/OrganId", code="edxml.missing_field")
    if organ_id not in units:
        raise ForbiddenError(
            f"this system may not send as {organ_id}", code="axis.sender_not_allowed"
        )
    return organ_id


async def submit_document(
    hub: AdapterFacade, doc: EdxmlDocument, units: Collection[str]
) -> Submitted:
    """Store the attachments, seal the mapped envelope for the sender, submit it."""
    unit = _acting_unit(doc.sender.organ_id, units)
    p = Principal(unit=unit)
    for attachment in doc.attachments:
        await hub.store_file(p, attachment.data)
    env = edxml_to_envelope(doc, _attachment_of)
    message_id = str(env.message_id)
    if await _already_sent(hub, p, message_id):
        return Submitted(message_id, "edoc", created=False)
    result = await hub.submit_envelope(p, await hub.seal_envelope(p, env))
    return Submitted(str(result.message_id), "edoc", created=bool(result.created))


def _attachment_of(name: str, media_type: str, data: bytes) -> Attachment:
    """The manifest entry of bytes already in the blob store."""
    return Attachment(name, media_type, len(data), hashlib.sha256(data).hexdigest())


async def _already_sent(hub: AdapterFacade, p: Principal, message_id: str) -> bool:
    """A resent edXML document (same DocumentId) is the message already accepted."""
    try:
        status = await hub.status(p, message_id)
    except NotFoundError:
        return False
    return bool(status.get("sender") == p.unit)


async def submit_status(hub: AdapterFacade, st: EdxmlStatus, units: Collection[str]) -> Submitted:
    """Post the status as a receipt signed by (or for) the issuing unit."""
    unit = _acting_unit(st.sender.organ_id, units)
    p = Principal(unit=unit)
    receipt = edxml_status_to_receipt(st)
    message_id = str(receipt.message_id)
    if receipt.status is Status.RECALL_REQUESTED:
        return await _take_back(hub, p, message_id, receipt.reason)
    envelope = await hub.envelope_xml(p, message_id)
    receipt = replace(receipt, envelope_digest=hashlib.sha256(envelope).hexdigest())
    sealed = await hub.seal_receipt(p, receipt)
    try:
        receipt_id = await hub.post_receipt(p, message_id, status=None, xml=sealed)
    except IllegalTransitionError:
        same = await _latest_same(hub, p, message_id, receipt.status)
        if same is None:
            raise
        return Submitted(same, "status", created=False)
    return Submitted(str(receipt_id), "status", created=True)


async def _latest_same(
    hub: AdapterFacade, p: Principal, message_id: str, status: Status
) -> str | None:
    """The unit's latest receipt if it already says ``status`` (e.g. the 01 of "done")."""
    answer = await hub.status(p, message_id)
    for recipient in answer.get("recipients", []):
        if recipient.get("unit") != p.unit or not recipient.get("receipts"):
            continue
        latest = recipient["receipts"][-1]
        if latest.get("status") == status.code and latest.get("receipt_id"):
            return str(latest["receipt_id"])
    return None


async def _take_back(
    hub: AdapterFacade, p: Principal, message_id: str, reason: str | None
) -> Submitted:
    try:
        receipt_id = await hub.post_receipt(p, message_id, status="13", reason=reason)
    except IllegalTransitionError:
        asked = await _recall_pending(hub, p, message_id)
        if asked is None:
            raise
        return Submitted(asked, "status", created=False)
    return Submitted(str(receipt_id), "status", created=True)


async def _recall_pending(hub: AdapterFacade, p: Principal, message_id: str) -> str | None:
    """The 13 already asked, when a take-back request is sent again."""
    status = await hub.status(p, message_id)
    for recipient in status.get("recipients", []):
        for r in recipient.get("receipts", []):
            if r.get("status") == Status.RECALL_REQUESTED.code and r.get("receipt_id"):
                return str(r["receipt_id"])
    return None
