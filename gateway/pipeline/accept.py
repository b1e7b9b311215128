"""Stage 3, accept: recipients expanded, then one transaction stores everything.

Groups become units through the directory; the sender does not receive its own message
through a group it belongs to (only when it names itself). ``MessageStore.accept`` writes
the message, a delivery and an outbox row per recipient and the audit entry at once; the
relay is woken as soon as that committed.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.directory import Directory
from gateway.envelope.verify import VerifiedEnvelope
from gateway.store import AcceptResult, MessageStore
from gateway.urgency import parse_urgency

__all__ = ["Accept"]


class Accept:
    """Expand, store, wake the relay."""

    def __init__(
        self,
        directory: Directory,
        messages: MessageStore,
        *,
        on_accepted: Callable[[], None] = lambda: None,
    ) -> None:
        self.directory = directory
        self.messages = messages
        self.on_accepted = on_accepted

    async def recipients(self, verified: VerifiedEnvelope) -> list[str]:
        """Distinct recipient units of the envelope."""
        env = verified.envelope
        units = await self.directory.expand(env.all_addressees())
        named = set(env.recipients)
        return [u for u in units if u != env.sender or u in named]

    async def __call__(self, verified: VerifiedEnvelope, submitted_by: str) -> AcceptResult:
        """Store the message (idempotent by id and digest); an urgency that is not an
        edXML Priority code or name is ``request.bad_urgency``."""
        parse_urgency(verified.envelope.document.urgency)
        recipients = await self.recipients(verified)
        result = await self.messages.accept(verified, recipients, submitted_by)
        if result.created:
            self.on_accepted()
        return result
