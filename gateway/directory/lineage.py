"""Lineage at read time: which code is valid now, and who stands for a retired one.

A retired, merged or re-coded unit keeps its row with ``valid_until`` set; its successors
are rows of ``unit_links``. Nothing fires at the change's instant: every reader compares
the instant with its clock (:class:`Lineage`), so every hub process switches at once, a
scheduled change included. The snapshot of lineage is small (only units that have one)
and is read again at most once a second, so a change made by another process (the CLI)
is seen within that time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import or_, select

from gateway.directory.scheduled import apply_due, next_due
from gateway.errors import DirectoryError, RoutingError
from gateway.store.db import Database
from gateway.store.models import UnitLinkRow, UnitRow, utcnow

__all__ = ["Lineage", "LineageSnapshot", "Link", "names_at", "names_then", "parse_at"]

#: How long a process trusts its snapshot of lineage (seconds).
_TTL = 1.0
#: A chain of successors longer than this is a loop (refused when written, guarded here).
_MAX_CHAIN = 64
#: The instants a change may be made at (a year 1 or 9999 is a typo, and overflows).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def parse_at(text: str | None) -> datetime:
    """``--at``/``effective_at``: ISO 8601 with a UTC offset (``2025-07-01T00:00+07:00``);
    empty: now. A time without an offset is ``directory.invalid`` (which zone was meant?)."""
    if text is None or not text.strip():
        return utcnow()
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise DirectoryError(
            f"not a date and time: {text[:40]!r} (ISO 8601, e.g. 2025-07-01T00:00+07:00)",
            code="directory.invalid",
        ) from exc
    if at.tzinfo is None:
        raise DirectoryError(
            f"{text[:40]!r} has no UTC offset (e.g. 2025-07-01T00:00+07:00)",
            code="directory.invalid",
        )
    out_of_range = DirectoryError(
        f"{text[:40]!r} is out of range ({_EARLIEST.year} to {_LATEST.year - 1})",
        code="directory.invalid",
    )
    try:
        at = at.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+07:00: before the first instant
        raise out_of_range from exc
    if not _EARLIEST <= at < _LATEST:
        raise out_of_range
    return at


@dataclass(frozen=True, slots=True)
class Link:
    """``predecessor`` → ``successor`` from ``effective_at`` (retire, merge, split, recode)."""

    predecessor: str
    successor: str
    kind: str
    effective_at: datetime


@dataclass(frozen=True, slots=True)
class LineageSnapshot:
    """The units that have a validity bound, and every link (read in one go)."""

    valid_from: dict[str, datetime] = field(default_factory=dict)
    valid_until: dict[str, datetime] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    #: The instant of the earliest scheduled rename or move not yet applied.
    next_change: datetime | None = None

    def retired(self, code: str, now: datetime) -> bool:
        """True when ``code`` is retired at ``now``."""
        until = self.valid_until.get(code)
        return until is not None and until <= now

    def not_yet(self, code: str, now: datetime) -> bool:
        """True when ``code`` starts later than ``now`` (a scheduled merge or re-code)."""
        start = self.valid_from.get(code)
        return start is not None and start > now

    def successors(self, code: str) -> list[Link]:
        """Links from ``code``, first the one documents are forwarded along."""
        return [link for link in self.links if link.predecessor == code]

    def predecessors(self, code: str) -> list[Link]:
        """Links into ``code``."""
        return [link for link in self.links if link.successor == code]

    def resolve(self, code: str, now: datetime) -> tuple[str, list[Link]]:
        """The unit that stands for ``code`` at ``now`` and the links followed to it;
        ``routing.unit_retired`` when a retired code has no successor."""
        path: list[Link] = []
        while self.retired(code, now):
            links = self.successors(code)
            if not links or len(path) >= _MAX_CHAIN:
                raise RoutingError(f"unit {code} is retired", code="routing.unit_retired")
            path.append(links[0])
            code = links[0].successor
        return code, path

    def stands_for(self, unit: str, codes: Iterable[str], now: datetime) -> list[str]:
        """Those of ``codes`` that are retired at ``now`` and resolve to ``unit``: whose
        deliveries ``unit`` takes over (and may answer)."""
        found = []
        for code in codes:
            if code != unit and self.retired(code, now):
                try:
                    if self.resolve(code, now)[0] == unit:
                        found.append(code)
                except RoutingError:
                    continue
        return found

    def handed_to(self, unit: str, now: datetime) -> list[str]:
        """Every retired code whose successor chain ends at ``unit`` at ``now``."""
        seen: dict[str, None] = {}
        todo = [unit]
        while todo:
            for link in self.predecessors(todo.pop()):
                code = link.predecessor
                fresh = code not in seen and code != unit and self.retired(code, now)
                if fresh and self.resolve(code, now)[0] == unit:
                    seen[code] = None
                    todo.append(code)
        return list(seen)


class Lineage:
    """A process's view of lineage: a snapshot refreshed at most every second."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.clock = clock
        self._snapshot = LineageSnapshot()
        self._read_at: float | None = None
        #: One read at a time: the requests that find the snapshot stale together wait
        #: for the same read instead of each reading it.
        self._reading = asyncio.Lock()
        #: Bumped by :meth:`forget`: a read begun before it does not count as fresh.
        self._generation = 0

    def forget(self) -> None:
        """Read lineage again on next use (after a change made in this process)."""
        self._read_at = None
        self._generation += 1

    def _stale(self) -> bool:
        return self._read_at is None or time.monotonic() - self._read_at > _TTL

    async def snapshot(self) -> LineageSnapshot:
        """The current snapshot (read again when older than a second, by one request for
        all that find it stale at once); scheduled renames and moves whose instant has
        come are applied first."""
        if self._stale():
            async with self._reading:
                if self._stale():
                    generation, began = self._generation, time.monotonic()
                    self._snapshot = await read_snapshot(self.db)
                    if generation == self._generation:
                        self._read_at = began
        due = self._snapshot.next_change
        if due is not None and due <= self.clock():
            await apply_due(self.db, self.clock())
            self._snapshot = await read_snapshot(self.db)
        return self._snapshot

    async def active(self, code: str) -> bool:
        """True when ``code`` may act now: not retired, not yet to start."""
        snap = await self.snapshot()
        now = self.clock()
        return not snap.retired(code, now) and not snap.not_yet(code, now)

    async def stands_for(self, unit: str, codes: Collection[str]) -> list[str]:
        """See :meth:`LineageSnapshot.stands_for` (at the clock's now)."""
        snap = await self.snapshot()
        if not snap.links:
            return []
        return snap.stands_for(unit, codes, self.clock())

    async def handed_to(self, unit: str) -> list[str]:
        """See :meth:`LineageSnapshot.handed_to` (at the clock's now)."""
        snap = await self.snapshot()
        if not snap.links:
            return []
        return snap.handed_to(unit, self.clock())


async def read_snapshot(db: Database) -> LineageSnapshot:
    """Every validity bound and link, in one read."""
    async with db.read() as session:
        bounded = select(UnitRow.code, UnitRow.valid_from, UnitRow.valid_until).where(
            or_(UnitRow.valid_from.is_not(None), UnitRow.valid_until.is_not(None))
        )
        rows = (await session.execute(bounded)).all()
        links = (await session.execute(select(UnitLinkRow).order_by(UnitLinkRow.id))).scalars()
        return LineageSnapshot(
            {r.code: r.valid_from for r in rows if r.valid_from is not None},
            {r.code: r.valid_until for r in rows if r.valid_until is not None},
            tuple(Link(x.predecessor, x.successor, x.kind, x.effective_at) for x in links),
            await next_due(session),
        )


async def names_at(db: Database, codes: Collection[str], at: datetime) -> dict[str, str]:
    """The name each of ``codes`` had at ``at``: today's name, unless a rename after
    ``at`` (the audit log keeps what each rename replaced) says otherwise."""
    wanted = list(dict.fromkeys(codes))
    found = await names_then(db, [(code, at) for code in wanted])
    return {code: name for code, name in zip(wanted, found, strict=True) if name is not None}


async def names_then(db: Database, wanted: Sequence[tuple[str, datetime]]) -> list[str | None]:
    """The name of each ``(code, instant)`` at its instant (``None``: no such unit), in one
    read of the units and their renames: the first rename after the instant says what the
    name was, else it is today's (a search page names each sender as it was when it sent)."""
    from gateway.store.models import AuditRow

    codes = list(dict.fromkeys(code for code, _ in wanted))
    if not codes:
        return []
    async with db.read() as session:
        rows = await session.execute(
            select(UnitRow.code, UnitRow.name).where(UnitRow.code.in_(codes))
        )
        names = {r.code: r.name for r in rows}
        renames = (
            select(AuditRow.unit, AuditRow.action, AuditRow.at, AuditRow.detail)
            .where(
                AuditRow.unit.in_(codes),
                AuditRow.action.in_(("unit.renamed", "unit.updated")),
            )
            .order_by(AuditRow.seq)
        )
        history: dict[str, list[tuple[datetime, str]]] = {}
        for unit, action, when, detail in (await session.execute(renames)).all():
            was = detail.get("was") if isinstance(detail, dict) else None
            old = was[0] if action == "unit.updated" and isinstance(was, list) else was
            if isinstance(old, str) and old and unit is not None:
                history.setdefault(unit, []).append((_aware(when), old))
    found: list[str | None] = []
    for code, at in wanted:
        later = [old for when, old in history.get(code, []) if when > _aware(at)]
        found.append(later[0] if later else names.get(code))
    return found


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
