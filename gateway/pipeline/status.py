"""Stage 8, status: one timeline per message, as DESIGN.md shows it.

``{"id", "sender", "subject", "created_at", "recipients": [{"unit", "state",
"receipts": [{"status": "03", "name": "accepted", "at", "by", "reason"}]}]}``.
The sender and operators see every recipient; a recipient sees its own delivery only.
"""

from __future__ import annotations

from typing import Any

from gateway.pipeline.states import is_final
from gateway.store import MessageStore

__all__ = ["StatusView"]


class StatusView:
    """Read a message's timeline, narrowed to what the reader may see."""

    def __init__(self, messages: MessageStore) -> None:
        self.messages = messages

    async def __call__(self, message_id: str, *, only: str | None = None) -> dict[str, Any]:
        """The status JSON; ``only`` keeps a single recipient's delivery."""
        status = (await self.messages.status(message_id)).to_json()
        if only is not None:
            status["recipients"] = [r for r in status["recipients"] if r["unit"] == only]
        status["complete"] = all(is_final(r["state"]) for r in status["recipients"])
        return status
