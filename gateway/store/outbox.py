"""The outbox (relay step): the rows written beside a message or receipt in its transaction,
and the publish marks that move a document's delivery to ``queued``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store import dialects, transport
from gateway.store.db import execute
from gateway.store.deliveries import advance_many, advance_to, audit_moved
from gateway.store.models import OutboxEntryRow, table, utcnow
from gateway.store.prepared import Prepared, insert_of

DOCUMENTS = "documents"
RECEIPTS = "receipts"


OUTBOX_COLUMNS = ["topic", "routing_key", "body", "message_id", "created_at", "attempts"]
INSERT_OUTBOX = insert_of(table(OutboxEntryRow), OUTBOX_COLUMNS)


def outbox_values(
    topic: str, recipient: str, message_id: str, body: bytes, now: Any = None
) -> dict[str, Any]:
    """The columns of one outbox row, for ``INSERT_OUTBOX`` (``body``: see
    :mod:`gateway.store.outbox_body`)."""
    return {
        "topic": topic,
        "routing_key": recipient,
        "body": body,
        "message_id": message_id,
        "created_at": now or utcnow(),
        "attempts": 0,
    }


_OUTBOX = table(OutboxEntryRow)
_PUBLISHED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.published_at.is_(None))
    .values(published_at=bindparam("b_at"), claimed_until=None)
    .returning(_OUTBOX.c.topic, _OUTBOX.c.message_id, _OUTBOX.c.routing_key)
)
_MARK_PUBLISHED = Prepared(_PUBLISHED)
_JUST_PUBLISHED = _PUBLISHED.cte("published")
#: PostgreSQL: an outbox row's publish mark and, for a document, its delivery's move to
#: ``queued``, in one statement (returns the deliveries moved).
_PUBLISH_AND_QUEUE = Prepared(
    advance_to(transport.QUEUED, _JUST_PUBLISHED.c.message_id, _JUST_PUBLISHED.c.routing_key).where(
        _JUST_PUBLISHED.c.topic == DOCUMENTS
    )
)


async def mark_published(session: AsyncSession, ids: list[int]) -> None:
    """Mark outbox rows published; their documents' deliveries become ``queued``."""
    now = utcnow()
    wanted = [{"b_id": i, "b_at": now, "at": now} for i in ids]
    if dialects.of(session).combined_writes:
        moved = await execute(session, _PUBLISH_AND_QUEUE, wanted)
        await audit_moved(session, moved, transport.QUEUED, "relay")
        return
    rows = await execute(session, _MARK_PUBLISHED, wanted)
    documents = [(r.message_id, r.routing_key) for r in rows if r.topic == DOCUMENTS]
    await advance_many(session, documents, transport.QUEUED, "relay")
