"""What the console shows, read from the store, the directory and the bus.

Everything here is read-only except dead-letter retry/discard, which is audited.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, func, or_, select, true

from gateway.bus.base import Bus, DeadLetter
from gateway.console.people import LOCAL
from gateway.dead_letters import resolve_dead_letter
from gateway.directory.directory import Directory, Unit
from gateway.directory.last_seen import not_seen_for
from gateway.facade import authz
from gateway.store.changes import withdrawn_delivery
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from gateway.store.models import AuditRow, DeliveryRow, MessageRow
from gateway.store.records import OverdueDelivery

_IN_FLIGHT_DONE = ("completed", "rejected", "expired", "failed", "recall_agreed")


class HubParts(Protocol):
    """The parts of the hub the console reads."""

    @property
    def db(self) -> Database: ...

    @property
    def messages(self) -> MessageStore: ...

    @property
    def directory(self) -> Directory: ...

    @property
    def bus(self) -> Bus: ...


@dataclass(frozen=True)
class Overview:
    """The overview counters."""

    today: int
    in_flight: int
    overdue: int
    failed: int
    dead: int


@dataclass
class OverdueMessage:
    """One overdue document and the units that have not completed it."""

    message_id: str
    subject: str
    sender: str
    due_date: date
    created_at: str = ""
    units: list[dict[str, str]] = field(default_factory=list)


@dataclass
class UnitNode:
    """A unit in the tree with its mailbox depth and when its endpoint was last seen."""

    code: str
    name: str
    depth: int
    last_seen: str | None
    children: list[UnitNode] = field(default_factory=list)
    #: When the unit is (or will be) retired, and the unit that takes its mail then.
    until: str | None = None
    successor: str | None = None


class ConsoleData:
    """Queries behind each console page."""

    def __init__(self, hub: HubParts) -> None:
        self.hub = hub

    async def overview(self, p: authz.PrincipalLike) -> Overview:
        """Documents today (since midnight in Vietnam), in flight, overdue, failed and
        dead-lettered; a leader's counts are of its scope (and no dead letters)."""
        midnight = datetime.combine(datetime.now(LOCAL).date(), time(), tzinfo=LOCAL)
        scope = authz.scope_units(p)
        async with self.hub.db.read() as session:
            today = await session.scalar(
                _touching(select(func.count(func.distinct(MessageRow.id))), scope).where(
                    MessageRow.created_at >= midnight
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
        overdue = {o.message_id for o in await self._overdue_rows(p, 10_000)}
        dead = await self.hub.bus.dead_letter_count() if scope is None else 0
        return Overview(today or 0, in_flight or 0, len(overdue), failed or 0, dead)

    async def _overdue_rows(self, p: authz.PrincipalLike, limit: int) -> list[OverdueDelivery]:
        rows: list[OverdueDelivery] = await self.hub.messages.overdue(limit=limit)
        return [r for r in rows if authz.sees_unit(p, r.recipient)]

    async def overdue(self, p: authz.PrincipalLike, limit: int = 500) -> list[OverdueMessage]:
        """Overdue documents grouped by message, each with its unfinished units (a
        leader: the units of its scope)."""
        grouped: dict[str, OverdueMessage] = {}
        for row in await self._overdue_rows(p, limit):
            item = grouped.setdefault(
                row.message_id,
                OverdueMessage(row.message_id, row.subject, row.sender, row.due_date),
            )
            item.units.append({"unit": row.recipient, "state": row.state})
        return sorted(grouped.values(), key=lambda m: (m.due_date, m.message_id))

    async def audit_trail(self, p: authz.PrincipalLike, message_id: str) -> list[dict[str, Any]]:
        """Every audit entry about one message, oldest first (a leader: those about the
        message as a whole and about the units of its scope)."""
        async with self.hub.db.read() as session:
            rows = (
                await session.scalars(
                    select(AuditRow).where(AuditRow.message_id == message_id).order_by(AuditRow.seq)
                )
            ).all()
        return [
            {"seq": r.seq, "at": _fmt(r.at), "actor": r.actor, "action": r.action, "unit": r.unit}
            for r in rows
            if r.unit is None or authz.sees_unit(p, r.unit)
        ]

    async def events_after(self, seq: int, limit: int = 200) -> list[dict[str, Any]]:
        """Audit entries after ``seq`` (the live feed works across hub processes)."""
        async with self.hub.db.read() as session:
            rows = (
                await session.scalars(
                    select(AuditRow).where(AuditRow.seq > seq).order_by(AuditRow.seq).limit(limit)
                )
            ).all()
        return [
            {"seq": r.seq, "action": r.action, "message_id": r.message_id, "unit": r.unit}
            for r in rows
        ]

    async def last_seq(self) -> int:
        """The newest audit entry's seq (0 when empty)."""
        async with self.hub.db.read() as session:
            return int(await session.scalar(select(func.max(AuditRow.seq))) or 0)

    async def unit_tree(self, p: authz.PrincipalLike) -> list[UnitNode]:
        """The directory as a tree with pending mailbox items and last-seen times (a
        leader: the subtree of its scope)."""
        units = await self.hub.directory.list()
        pending = {s.unit: s.pending_items for s in await self.hub.messages.unit_summaries()}
        nodes = {
            u.code: UnitNode(u.code, u.name, pending.get(u.code, 0), _fmt(u.last_seen_at))
            for u in units
        }
        children: defaultdict[str | None, list[UnitNode]] = defaultdict(list)
        for u in units:
            parent = u.parent if u.parent in nodes else None
            children[parent].append(nodes[u.code])
        for code, node in nodes.items():
            node.children = sorted(children.get(code, []), key=lambda n: n.code)
        await self._lineage(units, nodes)
        root = getattr(p, "scope", None)
        if authz.scope_units(p) is not None:
            return [nodes[root]] if root in nodes else []
        return sorted(children[None], key=lambda n: n.code)

    async def _lineage(self, units: list[Unit], nodes: dict[str, UnitNode]) -> None:
        """Mark retired (or scheduled) units with their instant and successor."""
        snap = await self.hub.directory.lineage.snapshot()
        for u in units:
            if u.valid_until is not None:
                links = snap.successors(u.code)
                nodes[u.code].until = _fmt(u.valid_until)
                nodes[u.code].successor = links[0].successor if links else None

    async def units_not_seen(self, p: authz.PrincipalLike, days: int) -> list[UnitNode]:
        """Units never seen, or last seen ``days`` days ago or longer, by code (a leader:
        of its scope)."""
        units = await self.hub.directory.list()
        pending = {s.unit: s.pending_items for s in await self.hub.messages.unit_summaries()}
        return [
            UnitNode(u.code, u.name, pending.get(u.code, 0), _fmt(u.last_seen_at))
            for u in units
            if not_seen_for(days, u.last_seen_at) and authz.sees_unit(p, u.code)
        ]

    async def dead_letters(self) -> list[DeadLetter]:
        """What the bus gave up on."""
        return await self.hub.bus.dead_letters(limit=500)

    async def resolve_dead_letter(self, operator: str, message_id: str, action: str) -> bool:
        """Retry or discard one dead letter, and record who did it in the audit log."""
        return await resolve_dead_letter(self.hub.db, self.hub.bus, operator, message_id, action)


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


def _fmt(at: datetime | None) -> str | None:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else None
