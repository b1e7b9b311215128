"""Expiry: a document past its ``expires`` is not delivered; its delivery gets ``expired``.

Checked twice: when the bus hands the document to the mailbox consumer, and when an
endpoint reads its mailbox (a document may expire while it waits there). The expired
receipt is signed by the hub on the recipient's behalf with an id derived from the
delivery, so however often this runs for one delivery there is one receipt.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from gateway.envelope.model import Status
from gateway.errors import ReceiptError
from gateway.pipeline.receipt import ReceiptIssuer, hub_receipt_id
from gateway.store import MessageStore

__all__ = ["Expiry"]

log = structlog.get_logger("gateway.pipeline.expiry")

_CACHE_SIZE = 4096


def _now() -> datetime:
    return datetime.now(UTC)


class Expiry:
    """Decide whether a message has expired; record the expired receipt when it has."""

    def __init__(
        self,
        messages: MessageStore,
        receipts: ReceiptIssuer,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self.messages = messages
        self.receipts = receipts
        self.clock = clock
        self._facts: OrderedDict[str, tuple[datetime | None, str]] = OrderedDict()

    async def __call__(self, message_id: str, recipient: str) -> bool:
        """True if the message expired (and the delivery now says so)."""
        expires, digest = await self._message_facts(message_id)
        if expires is None or expires > self.clock():
            return False
        log.info("delivery.expired", message_id=message_id, unit=recipient)
        try:
            await self.receipts.issue(
                message_id=message_id,
                envelope_digest=digest,
                recipient=recipient,
                status=Status.EXPIRED,
                issuer=recipient,
                reason="the message expired before it was delivered",
                receipt_id=hub_receipt_id(message_id, recipient, Status.EXPIRED),
            )
        except ReceiptError as exc:  # already final (e.g. recalled): nothing more to say
            log.info("delivery.expired_not_recorded", error=exc.code)
        return True

    async def _message_facts(self, message_id: str) -> tuple[datetime | None, str]:
        facts = self._facts.get(message_id)
        if facts is None:
            facts = await self.messages.expiry_facts(message_id)
            self._facts[message_id] = facts
            if len(self._facts) > _CACHE_SIZE:
                self._facts.popitem(last=False)
        return facts
