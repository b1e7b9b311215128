"""What operators watch: counters per unit and the overdue deliveries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.deadlines.calendar import VIETNAM
from gateway.store.changes import one_of, withdrawn
from gateway.store.models import DeliveryRow, MailboxItemRow, MessageRow, UnitRow, table
from gateway.store.queries import MAX_PAGE
from gateway.store.records import OverdueDelivery, UnitSummary
from gateway.store.search import counted_state

_CHANGE = table(MessageRow).alias("later")


async def unit_summaries(session: AsyncSession, unit: str | None) -> list[UnitSummary]:
    """Counters per unit of the directory (or just ``unit``)."""
    units_q = select(UnitRow).order_by(UnitRow.code)
    if unit:
        units_q = units_q.where(UnitRow.code == unit)
    units = (await session.execute(units_q)).scalars().all()
    sent_q = select(MessageRow.sender, func.count()).group_by(MessageRow.sender)
    sent: dict[str, int] = {u: n for u, n in (await session.execute(sent_q)).all()}
    pending_q = (
        select(MailboxItemRow.unit, func.count())
        .where(
            MailboxItemRow.acked_at.is_(None),
            ~withdrawn(MailboxItemRow.message_id, MailboxItemRow.kind, MailboxItemRow.fetched_at),
        )
        .group_by(MailboxItemRow.unit)
    )
    pending_n: dict[str, int] = {u: n for u, n in (await session.execute(pending_q)).all()}
    by_state: dict[str, dict[str, int]] = defaultdict(dict)
    shown = select(DeliveryRow.recipient, counted_state()).subquery()
    state_q = select(shown.c.recipient, shown.c.state, func.count()).group_by(
        shown.c.recipient, shown.c.state
    )
    for recipient, state, n in (await session.execute(state_q)).all():
        by_state[recipient][state] = n
    return [
        UnitSummary(
            u.code,
            u.name,
            sent.get(u.code, 0),
            sum(by_state[u.code].values()),
            pending_n.get(u.code, 0),
            dict(by_state[u.code]),
            u.last_seen_at,
        )
        for u in units
    ]


async def overdue(
    session: AsyncSession, today: date, limit: int, final_states: Collection[str]
) -> list[OverdueDelivery]:
    """Deliveries not finished whose document was due before ``today`` (its
    ``due_date``), or past the due time to be received or completed that the hub's
    deadline policy gave it (``gateway.deadlines``); revoked and replaced documents and
    deliveries in ``final_states`` (the pipeline's rules) left out. ``due_date`` of a row
    without one: the local day of the due time it missed."""
    now = datetime.now(UTC)
    unanswered = one_of(DeliveryRow.state, ("submitted", "queued", "delivered"))
    withdrawn = exists().where(
        _CHANGE.c.refers_to == MessageRow.id, one_of(_CHANGE.c.kind, ("revoke", "replace"))
    )
    query = (
        select(
            DeliveryRow.message_id,
            DeliveryRow.recipient,
            MessageRow.sender,
            MessageRow.subject,
            MessageRow.due_date,
            DeliveryRow.state,
            MessageRow.due_received_at,
            MessageRow.due_completed_at,
        )
        .join(MessageRow, MessageRow.id == DeliveryRow.message_id)
        .where(
            or_(
                MessageRow.due_date < today,
                MessageRow.due_completed_at < now,
                and_(MessageRow.due_received_at < now, unanswered),
            ),
            DeliveryRow.state.not_in(sorted(final_states)),
            ~withdrawn,
        )
        .order_by(MessageRow.due_date, DeliveryRow.message_id, DeliveryRow.recipient)
        .limit(max(1, min(limit, MAX_PAGE * 10)))
    )
    return [
        OverdueDelivery(
            r.message_id, r.recipient, r.sender, r.subject, _missed_day(r, now), r.state
        )
        for r in (await session.execute(query)).all()
    ]


def _missed_day(row: Any, now: datetime) -> date:
    """The document's due date, else the local day of the due time it missed."""
    if row.due_date is not None:
        return cast(date, row.due_date)
    missed = row.due_completed_at if row.due_completed_at < now else row.due_received_at
    return cast(datetime, missed).astimezone(VIETNAM).date()
