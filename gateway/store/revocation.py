"""A recipient's 15 on a revocation's own delivery closes its delivery of the original.

The recipient agreed to the revocation (15, ``recall_agreed``) on the revoking message;
its delivery of the revoked original ends the same way, in the same transaction, so the
original reads ``recall_agreed`` for that recipient in every view and is never overdue.
An original delivery already in a final state (completed, rejected, answered 15 itself…)
is left as it is. Audited ``delivery.recall_agreed`` with ``implied_by: revocation``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.envelope.model import Status
from gateway.store import audit
from gateway.store.changes import Changes
from gateway.store.db import execute
from gateway.store.deliveries import SET_STATE, deliveries_of
from gateway.store.models import MessageRow, utcnow
from gateway.store.rules import DeliveryRules

__all__ = ["close_revoked_originals"]

_AGREED = Status.RECALL_AGREED


async def close_revoked_originals(
    session: AsyncSession,
    found: Changes,
    answers: Sequence[tuple[str, str, str]],
    rules: DeliveryRules,
) -> None:
    """For each ``(message id, recipient, status code)`` just stored that is a 15 on a
    revocation (``found`` knows the kinds), move the recipient's delivery of the original
    to ``recall_agreed`` unless it is final already."""
    revocations = {
        (mid, recipient)
        for mid, recipient, code in answers
        if code == _AGREED.code and found.kinds.get(mid) == "revoke"
    }
    if not revocations:
        return
    rows = await session.execute(
        select(MessageRow.id, MessageRow.refers_to).where(
            MessageRow.id.in_(sorted({mid for mid, _ in revocations}))
        )
    )
    original_of = {r.id: r.refers_to for r in rows if r.refers_to}
    pairs = {
        (original_of[mid], recipient): mid for mid, recipient in revocations if mid in original_of
    }
    open_ = [d for d in (await deliveries_of(session, list(pairs))).values()]
    open_ = [d for d in open_ if not rules.is_final(d.state)]
    if not open_:
        return
    now = utcnow()
    await execute(
        session, SET_STATE, [{"b_id": d.id, "b_state": _AGREED.label, "b_at": now} for d in open_]
    )
    for d in open_:
        detail = {
            "from": d.state,
            "to": _AGREED.label,
            "implied_by": "revocation",
            "revocation": pairs[(d.message_id, d.recipient)],
        }
        await audit.append(
            session, d.recipient, f"delivery.{_AGREED.label}", d.message_id, d.recipient, detail
        )
