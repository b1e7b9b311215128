"""The leaders' dashboard: how a part of the tree is doing, from the hub's console reads.

For a unit's subtree (within what the caller may see, ``Hub.units_seen``) over the last
``days`` days: documents sent and received per day, the share of deliveries handled (06)
within their deadline, overdue deliveries by unit (worst first), the median time to 01
(received) and 06 (completed) by unit, the units not seen for N days, and the children to
drill down into. A delivery's deadline is its message's ``due_completed_at`` (issue 25's
deadlines) or else the end of its ``due_date`` in Vietnam.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from gateway.console.facade import ConsoleHub
from gateway.console.people import LOCAL, parse_when
from gateway.facade import PrincipalLike
from gateway.facade.console import UnitState

__all__ = ["Dashboard", "UnitRow", "build", "build_period"]

_FINAL = ("completed", "rejected", "expired", "failed", "recall_agreed")


@dataclass
class UnitRow:
    """One unit's (or one child subtree's) figures."""

    code: str
    sent: int = 0
    received: int = 0
    overdue: int = 0
    to_01: float | None = None  # median hours
    to_06: float | None = None


@dataclass
class Dashboard:
    """Everything the dashboard page shows."""

    root: str | None
    days: list[str]
    sent: list[int]
    received: list[int]
    on_time: int
    late: int
    overdue_by_unit: list[UnitRow]
    medians: list[UnitRow]
    not_seen: list[UnitState]
    children: list[UnitRow]
    overdue_documents: list[dict[str, Any]] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    per_unit: dict[str, UnitRow] = field(default_factory=dict)

    @property
    def on_time_share(self) -> int | None:
        """Percent of deliveries due so far that were completed in time (None: none due)."""
        due = self.on_time + self.late
        return round(100 * self.on_time / due) if due else None


def _deadline(due_completed_at: datetime | None, due_date: date | None) -> datetime | None:
    if due_completed_at is not None:
        return parse_when(due_completed_at)
    if due_date is not None:
        return datetime.combine(due_date, time(23, 59, 59), tzinfo=LOCAL)
    return None


async def build(
    hub: ConsoleHub, p: PrincipalLike, root: str | None, days: int, not_seen_days: int
) -> Dashboard:
    """The dashboard of ``root``'s subtree (None: the caller's whole view), over the last
    ``days`` days (today in Vietnam included)."""
    today = datetime.now(LOCAL).date()
    return await build_period(
        hub, p, root, today - timedelta(days=days - 1), today + timedelta(days=1), not_seen_days
    )


async def build_period(
    hub: ConsoleHub,
    p: PrincipalLike,
    root: str | None,
    first: date,
    end: date,
    not_seen_days: int,
) -> Dashboard:
    """The dashboard of ``root``'s subtree for the documents sent from the day ``first``
    up to (not including) the day ``end``, days in Vietnam."""
    units = await hub.units()
    parents = {u.code: u.parent for u in units}
    visible = set(await hub.units_seen(p, parents))
    if root is None:
        root = getattr(p, "scope", None)
    area = _subtree(parents, root) & visible if root else visible
    now = datetime.now(UTC)
    since = datetime.combine(first, time(), LOCAL)
    until = datetime.combine(end, time(), LOCAL)
    wanted = None if area == set(parents) else frozenset(area)
    rows, firsts = await hub.period_deliveries(p, since, until, wanted)
    board = _figures(rows, firsts, area, since, (end - first).days, now)
    board.root = root
    unseen = await hub.unit_states(p, not_seen_days=not_seen_days)
    board.not_seen = [u for u in unseen if u.code in area]
    board.children = _children(parents, root, area, visible, board)
    board.path = _path(parents, root, visible)
    return board


def _figures(
    rows: list[Any],
    firsts: dict[tuple[str, str, str], Any],
    area: set[str],
    since: datetime,
    days: int,
    now: datetime,
) -> Dashboard:
    day_keys = [(since.date() + timedelta(days=i)) for i in range(days)]
    sent_ids: dict[date, set[str]] = defaultdict(set)
    received: Counter[date] = Counter()
    per_unit: dict[str, UnitRow] = {}
    waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    on_time = late = 0
    overdue_docs: dict[str, dict[str, Any]] = {}
    for r in rows:
        day = parse_when(r.created_at).astimezone(LOCAL).date()  # type: ignore[union-attr]
        if r.sender in area and r.id not in sent_ids[day]:  # a document once, not per recipient
            sent_ids[day].add(r.id)
            per_unit.setdefault(r.sender, UnitRow(r.sender)).sent += 1
        if r.recipient not in area:
            continue
        received[day] += 1
        unit = per_unit.setdefault(r.recipient, UnitRow(r.recipient))
        unit.received += 1
        created = parse_when(r.created_at)
        for code in ("01", "06"):
            at = parse_when(firsts.get((r.id, r.recipient, code)))
            if at is not None and created is not None:
                waits[(r.recipient, code)].append((at - created).total_seconds() / 3600)
        deadline = _deadline(r.due_completed_at, r.due_date)
        if deadline is None or r.withdrawn:  # revoked or replaced: no deadline any more
            continue
        done = parse_when(firsts.get((r.id, r.recipient, "06")))
        if done is not None:
            on_time, late = (on_time + 1, late) if done <= deadline else (on_time, late + 1)
        elif now > deadline:
            late += 1
            if r.state not in _FINAL:
                unit.overdue += 1
                doc = overdue_docs.setdefault(
                    r.id, {"id": r.id, "subject": r.subject, "deadline": deadline, "units": []}
                )
                doc["units"].append(r.recipient)
    for (code, status), hours in waits.items():
        setattr(per_unit[code], "to_01" if status == "01" else "to_06", statistics.median(hours))
    rows_ = list(per_unit.values())
    return Dashboard(
        root=None,
        days=[d.strftime("%d/%m") for d in day_keys],
        sent=[len(sent_ids[d]) for d in day_keys],
        received=[received[d] for d in day_keys],
        on_time=on_time,
        late=late,
        overdue_by_unit=sorted((u for u in rows_ if u.overdue), key=lambda u: (-u.overdue, u.code)),
        medians=sorted(
            (u for u in rows_ if u.to_01 is not None or u.to_06 is not None),
            key=lambda u: (-(u.to_06 or u.to_01 or 0), u.code),
        ),
        not_seen=[],
        children=[],
        overdue_documents=sorted(overdue_docs.values(), key=lambda d: d["deadline"]),
        per_unit=per_unit,
    )


def _subtree(parents: dict[str, str | None], root: str) -> set[str]:
    children: defaultdict[str | None, list[str]] = defaultdict(list)
    for code, parent in parents.items():
        children[parent].append(code)
    found, todo = {root}, [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _children(
    parents: dict[str, str | None],
    root: str | None,
    area: set[str],
    visible: set[str],
    board: Dashboard,
) -> list[UnitRow]:
    """Each child of ``root`` (the top units when None) with its whole subtree's figures."""
    tops = [c for c, parent in parents.items() if parent == root and c in visible]
    if root is None:
        tops = [c for c in visible if parents.get(c) not in visible]
    out = []
    for child in sorted(tops):
        row = UnitRow(child)
        for code in _subtree(parents, child) & area:
            unit = board.per_unit.get(code)
            if unit is not None:
                row.sent += unit.sent
                row.received += unit.received
                row.overdue += unit.overdue
        out.append(row)
    return sorted(out, key=lambda u: (-u.overdue, u.code))


def _path(parents: dict[str, str | None], root: str | None, visible: set[str]) -> list[str]:
    """From the highest visible ancestor down to ``root`` (the breadcrumb)."""
    path: list[str] = []
    code = root
    while code is not None and code in visible and code not in path:
        path.insert(0, code)
        code = parents.get(code)
    return path
