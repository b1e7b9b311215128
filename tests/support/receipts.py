"""Receipts a unit signs with its own key, and posting them to a running hub over HTTP."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

from gateway.envelope.model import Receipt, Status
from gateway.envelope.seal import seal_receipt
from tests.support.api_world import World

__all__ = ["post_xml", "signed_receipt"]


async def signed_receipt(
    world: World,
    signer: str,
    message_id: str,
    recipient: str,
    status: Status,
    *,
    issuer: str | None = None,
    at: datetime | None = None,
    reader: str | None = None,
) -> bytes:
    """A receipt about ``recipient``'s delivery, signed with ``signer``'s own key; the
    envelope it answers is read as ``reader`` (default: the signer)."""
    resp = await world.client.get(
        f"/api/v1/messages/{message_id}", headers=world.auth(reader or signer)
    )
    assert resp.status == 200, await resp.text()
    receipt = Receipt(
        receipt_id=uuid.uuid4(),
        message_id=uuid.UUID(message_id),
        envelope_digest=hashlib.sha256(await resp.read()).hexdigest(),
        recipient=recipient,
        status=status,
        timestamp=at or datetime.now(UTC),
        issuer=issuer,
    )
    key, cert = await world.hub.signers.for_document(signer)
    return seal_receipt(receipt, key, cert)


async def post_xml(world: World, who: str, message_id: str, xml: bytes) -> tuple[int, Any]:
    """POST a signed receipt as ``who``: (status, JSON body)."""
    resp = await world.client.post(
        f"/api/v1/messages/{message_id}/receipts",
        data=xml,
        headers={**world.auth(who), "Content-Type": "application/xml"},
    )
    return resp.status, await resp.json()
