"""What the console shows, shaped for its pages from the hub's checked console methods
(:class:`gateway.console.facade.ConsoleHub`): each read is authorised in the hub
(by :mod:`gateway.facade.authz`), the console reads no part of it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from gateway.console.facade import ConsoleHub
from gateway.console.people import LOCAL
from gateway.facade import PrincipalLike
from gateway.facade.console import UnitState


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

    def __init__(self, hub: ConsoleHub) -> None:
        self.hub = hub

    async def overview(self, p: PrincipalLike) -> Overview:
        """Documents today (since midnight in Vietnam), in flight, overdue, failed and
        dead-lettered; a leader's counts are of its scope (and no dead letters)."""
        midnight = datetime.combine(datetime.now(LOCAL).date(), time(), tzinfo=LOCAL)
        counts = await self.hub.message_counts(p, midnight)
        overdue = {o["message_id"] for o in await self.hub.overdue(p, limit=10_000)}
        return Overview(counts.today, counts.in_flight, len(overdue), counts.failed, counts.dead)

    async def overdue(self, p: PrincipalLike, limit: int = 500) -> list[OverdueMessage]:
        """Overdue documents grouped by message, each with its unfinished units (a
        leader: the units of its scope)."""
        grouped: dict[str, OverdueMessage] = {}
        for row in await self.hub.overdue(p, limit=limit):
            item = grouped.setdefault(
                row["message_id"],
                OverdueMessage(
                    row["message_id"], row["subject"], row["sender"],
                    date.fromisoformat(row["due_date"]),
                ),
            )  # fmt: skip
            item.units.append({"unit": row["recipient"], "state": row["state"]})
        return sorted(grouped.values(), key=lambda m: (m.due_date, m.message_id))

    async def audit_trail(self, p: PrincipalLike, message_id: str) -> list[dict[str, Any]]:
        """Every audit entry about one message, oldest first (a leader: those about the
        message as a whole and about the units of its scope)."""
        rows = await self.hub.audit_trail(p, message_id)
        return [{**r, "at": _fmt(r["at"])} for r in rows]

    async def events_after(
        self, p: PrincipalLike, seq: int, limit: int = 200
    ) -> list[dict[str, Any]]:
        """Audit entries after ``seq`` that ``p`` sees (the live feed works across hub
        processes)."""
        return (await self.hub.audit_events(p, seq, limit))[0]

    async def unit_tree(self, p: PrincipalLike) -> list[UnitNode]:
        """The directory as a tree with pending mailbox items and last-seen times (a
        leader: the subtree of its scope)."""
        units = await self.hub.unit_states(p)
        nodes = {u.code: _node(u) for u in units}
        children: defaultdict[str | None, list[UnitNode]] = defaultdict(list)
        for u in units:
            parent = u.parent if u.parent in nodes else None
            children[parent].append(nodes[u.code])
        for code, node in nodes.items():
            node.children = sorted(children.get(code, []), key=lambda n: n.code)
        root = getattr(p, "scope", None)
        if root is not None:  # a leader: the subtree of its scope (what unit_states gave)
            return [nodes[root]] if root in nodes else []
        return sorted(children[None], key=lambda n: n.code)

    async def units_not_seen(self, p: PrincipalLike, days: int) -> list[UnitNode]:
        """Units never seen, or last seen ``days`` days ago or longer, by code (a leader:
        of its scope)."""
        return [
            UnitNode(u.code, u.name, u.pending, _fmt(u.last_seen_at))
            for u in await self.hub.unit_states(p, not_seen_days=days)
        ]


def _node(u: UnitState) -> UnitNode:
    """A unit of the tree, with when it is (or will be) retired and its successor."""
    node = UnitNode(u.code, u.name, u.pending, _fmt(u.last_seen_at))
    if u.valid_until is not None:
        node.until = _fmt(u.valid_until)
        node.successor = u.successor
    return node


def _fmt(at: datetime | None) -> str | None:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if at else None
