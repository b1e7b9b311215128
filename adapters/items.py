"""Between the hub facade and the adapter values: mailbox entries out, inbound items in.

Only the hub facade is used (``envelope_xml``, ``attachment``, ``status``,
``submit_envelope``, ``submit_document``, ``post_receipt``, ``blobs.put_stream``), always
as the adapter's unit, so the hub's own authorisation applies to adapters too.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from adapters.base import InboundFile, InboundItem, OutboundFile, OutboundItem, Settlement
from gateway.directory.principal import Principal
from gateway.envelope.codec import envelope_from_element
from gateway.errors import GatewayError, NotFoundError, Recoverable
from gateway.facade import AdapterFacade
from gateway.pipeline.document import UploadedFile
from gateway.xmlsafe import parse_xml

__all__ = ["fetch_outbound", "submit_inbound"]

_CHUNK = 1024 * 1024


async def fetch_outbound(hub: AdapterFacade, p: Principal, entry: dict[str, Any]) -> OutboundItem:
    """The full item for one ``hub.mailbox`` entry: envelope + files, or receipt JSON."""
    message_id = str(entry["message_id"])
    unit = p.unit or ""
    sender = str(entry.get("sender") or "")
    subject = str(entry.get("subject") or "")
    item_id = str(entry["item_id"])
    if entry.get("kind") == "receipt":
        ref = str(entry.get("receipt_id") or entry.get("ref"))
        body = await _receipt_json(hub, p, message_id, ref)
        return OutboundItem(
            item_id, "receipt", message_id, ref, unit, sender, subject, body, "application/json"
        )
    xml: bytes = await hub.envelope_xml(p, message_id)
    files = await _attachments(hub, p, message_id, xml)
    return OutboundItem(
        item_id,
        "document",
        message_id,
        message_id,
        unit,
        sender,
        subject,
        xml,
        "application/xml",
        files,
    )


async def _attachments(
    hub: AdapterFacade, p: Principal, message_id: str, xml: bytes
) -> tuple[OutboundFile, ...]:
    limits = hub.config.hub
    env = envelope_from_element(
        parse_xml(xml, max_bytes=limits.max_xml_bytes, max_depth=limits.max_xml_depth)
    )
    files: list[OutboundFile] = []
    for manifest in env.attachments:
        attachment, path = await hub.attachment(p, message_id, manifest.name)
        files.append(
            OutboundFile(
                name=attachment.name,
                media_type=attachment.media_type,
                sha256=attachment.sha256,
                size=attachment.size,
                path=Path(path),
            )
        )
    return tuple(files)


async def _receipt_json(
    hub: AdapterFacade, p: Principal, message_id: str, receipt_id: str
) -> bytes:
    """The receipt as JSON, from the message's status timeline."""
    status = await hub.status(p, message_id)
    for recipient in status.get("recipients", []):
        for receipt in recipient.get("receipts", []):
            if str(receipt.get("receipt_id")) == receipt_id:
                body = {"receipt_id": receipt_id, "message_id": message_id, **receipt}
                body["recipient"] = recipient.get("unit")
                return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    raise NotFoundError(f"no receipt {receipt_id} on {message_id}", code="message.not_found")


async def submit_inbound(hub: AdapterFacade, p: Principal, item: InboundItem) -> Settlement:
    """Hand one inbound item to the hub; typed refusals become a refused settlement.

    Recoverable hub errors (store or bus down) propagate so the runner retries.
    """
    try:
        if item.kind == "receipt":
            return await _post_receipt(hub, p, item)
        if item.kind == "envelope":
            await _store_files(hub, p, item.files)
            result = await hub.submit_envelope(p, item.xml or b"")
        else:
            uploaded = await _store_files(hub, p, item.files)
            if item.envelope is not None:  # its own id: a resubmit is not a second message
                result = await hub.submit_document(
                    p, dict(item.metadata), uploaded, envelope=item.envelope
                )
            else:
                result = await hub.submit_document(p, dict(item.metadata), uploaded)
    except GatewayError as exc:
        if isinstance(exc, Recoverable):
            raise
        return Settlement.refused(exc)
    return Settlement(accepted=True, ref=str(result.message_id), created=bool(result.created))


async def _post_receipt(hub: AdapterFacade, p: Principal, item: InboundItem) -> Settlement:
    receipt_id = await hub.post_receipt(
        p, str(item.message_id), status=item.status, reason=item.reason, xml=item.xml
    )
    return Settlement(accepted=True, ref=str(receipt_id))


async def _store_files(
    hub: AdapterFacade, p: Principal, files: tuple[InboundFile, ...]
) -> list[UploadedFile]:
    uploaded: list[UploadedFile] = []
    for f in files:
        ref = await hub.store_file(p, _chunks(f))
        uploaded.append(UploadedFile(f.name, f.media_type, ref.sha256, ref.size))
    return uploaded


async def _chunks(f: InboundFile) -> AsyncIterator[bytes]:
    if f.data is not None:
        yield f.data
        return
    if f.path is None:
        return
    with f.path.open("rb") as fh:
        while block := await asyncio.to_thread(fh.read, _CHUNK):
            yield block
