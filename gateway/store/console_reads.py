"""What the operators' console reads besides search and the overdue list: the overview's
counters, a message's audit trail and the audit entries after a point (its live feed),
and the deliveries of a period with their first 01 and 06 (the leaders' dashboard).

Each takes the units a leader sees (``scope``/``area``; ``None``: every unit); the hub's
console methods (:mod:`gateway.hub_console`) decide it (:mod:`gateway.facade.authz`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.changes import changed_away, withdrawn_delivery
from gateway.store.models import AuditRow, DeliveryRow, MessageRow, ReceiptRow

__all__ = ["audit_after", "audit_of", "counts", "last_audit_seq", "period_deliveries"]

_IN_FLIGHT_DONE = ("completed", "rejected", "expired", "failed", "recall_agreed")


async def counts(
    session: AsyncSession, scope: frozenset[str] | None, since: datetime
) -> dict[str, int]:
    """Documents since ``since`` (``today``), documents in flight and failed or expired
    deliveries, of the messages touching ``scope``."""
    today = await session.scalar(
        _touching(select(func.count(func.distinct(MessageRow.id))), scope).where(
            MessageRow.created_at >= since
        )
    )
    in_flight = await session.scalar(
        select(func.count(func.distinct(DeliveryRow.message_id))).where(
            DeliveryRow.state.not_in(_IN_FLIGHT_DONE),
            ~withdrawn_delivery(DeliveryRow.message_id, DeliveryRow.state),
            _recipient_in(scope),
        )
    )
    failed = await session.scalar(
        select(func.count())
        .select_from(DeliveryRow)
        .where(DeliveryRow.state.in_(("failed", "expired")), _recipient_in(scope))
    )
    return {"today": today or 0, "in_flight": in_flight or 0, "failed": failed or 0}


async def audit_of(session: AsyncSession, message_id: str) -> list[AuditRow]:
    """Every audit entry about one message, oldest first."""
    query = select(AuditRow).where(AuditRow.message_id == message_id).order_by(AuditRow.seq)
    return list((await session.scalars(query)).all())


async def audit_after(session: AsyncSession, seq: int, limit: int) -> list[AuditRow]:
    """At most ``limit`` audit entries after ``seq``, oldest first."""
    query = select(AuditRow).where(AuditRow.seq > seq).order_by(AuditRow.seq).limit(limit)
    return list((await session.scalars(query)).all())


async def last_audit_seq(session: AsyncSession) -> int:
    """The newest audit entry's seq (0 when empty)."""
    return int(await session.scalar(select(func.max(AuditRow.seq))) or 0)


async def period_deliveries(
    session: AsyncSession, since: datetime, until: datetime, area: frozenset[str] | None
) -> tuple[list[Any], dict[tuple[str, str, str], Any]]:
    """Deliveries of the messages sent in [since, until) and the first 01 and 06 of each
    (with ``area``: only those sent from or to its units)."""
    query = (
        select(
            MessageRow.id, MessageRow.sender, MessageRow.subject, MessageRow.created_at,
            MessageRow.due_date, MessageRow.due_completed_at,
            DeliveryRow.recipient, DeliveryRow.state,
            changed_away(MessageRow.id).label("withdrawn"),
        )
        .join(DeliveryRow, DeliveryRow.message_id == MessageRow.id)
        .where(MessageRow.created_at >= since.astimezone(UTC))
        .where(MessageRow.created_at < until.astimezone(UTC))
    )  # fmt: skip
    if area is not None:
        codes = sorted(area)
        query = query.where(or_(DeliveryRow.recipient.in_(codes), MessageRow.sender.in_(codes)))
    receipts = (
        select(ReceiptRow.message_id, ReceiptRow.recipient, ReceiptRow.status_code, ReceiptRow.at)
        .join(MessageRow, MessageRow.id == ReceiptRow.message_id)
        .where(MessageRow.created_at >= since.astimezone(UTC))
        .where(MessageRow.created_at < until.astimezone(UTC))
        .where(ReceiptRow.status_code.in_(("01", "06")))
    )
    if area is not None:
        receipts = receipts.where(ReceiptRow.recipient.in_(sorted(area)))
    rows = list((await session.execute(query)).all())
    firsts: dict[tuple[str, str, str], Any] = {}
    for mid, recipient, code, at in (await session.execute(receipts)).all():
        key = (mid, recipient, code)
        if key not in firsts or at < firsts[key]:
            firsts[key] = at
    return rows, firsts


def _recipient_in(scope: frozenset[str] | None) -> ColumnElement[bool]:
    return true() if scope is None else DeliveryRow.recipient.in_(sorted(scope))


def _touching(query: Select[Any], scope: frozenset[str] | None) -> Select[Any]:
    """``query`` over messages, limited to those sent from or to a unit of ``scope``."""
    query = query.select_from(MessageRow)
    if scope is None:
        return query
    codes = sorted(scope)
    delivered = select(DeliveryRow.message_id).where(DeliveryRow.recipient.in_(codes))
    return query.where(or_(MessageRow.sender.in_(codes), MessageRow.id.in_(delivered)))
