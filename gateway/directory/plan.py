"""A restructuring plan as one act: ``lienthong units plan apply PLAN.csv [--dry-run]``.

The CSV's header is ``action,code,new_code,name,parent,successor,effective_at``; actions
``add``, ``rename``, ``move``, ``retire``, ``merge`` (one row per unit merged into
``successor``) and ``recode``; cells an action does not need stay empty. Rows run by
action (adds, renames, moves, re-codes, merges, retirements; file order within each), so
that a new unit exists before units merge into it and communes move before their
district retires. The whole plan is one transaction: every row is tried, every problem
is listed (``directory.plan_refused``: unknown codes, cycles, a code used twice, a
successor that is itself retired) and nothing is written unless there is none.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.directory import changes
from gateway.directory.groups import group_members
from gateway.directory.lineage import parse_at
from gateway.directory.rows import descendants_query
from gateway.errors import DirectoryError, GatewayError
from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import GroupMemberRow, GroupRow, MailboxItemRow, TokenRow, UnitRow
from gateway.text import nfc

__all__ = ["HEADER", "PlanReport", "PlanRow", "apply_plan", "parse_plan", "touched_by"]

HEADER = ("action", "code", "new_code", "name", "parent", "successor", "effective_at")
#: The order rows run in (see the module docstring).
_ORDER = ("add", "rename", "move", "recode", "merge", "retire")
#: At most this many problems are listed (a plan with more is far off).
_MAX_PROBLEMS = 200


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One line of a plan (``line``: its line number in the file)."""

    line: int
    action: str
    code: str
    new_code: str = ""
    name: str = ""
    parent: str = ""
    successor: str = ""
    effective_at: str = ""

    def describe(self) -> str:
        """What the row does, in words."""
        at = f" at {self.effective_at}" if self.effective_at else ""
        what = {
            "add": f"add {self.code} {self.name!r} under {self.parent or '-'}",
            "rename": f"rename {self.code} to {self.name!r}",
            "move": f"move {self.code} under {self.parent or '-'}",
            "retire": f"retire {self.code} into {self.successor}",
            "merge": f"merge {self.code} into {self.successor}",
            "recode": f"recode {self.code} as {self.new_code}",
        }[self.action]
        return what + at


@dataclass
class PlanReport:
    """What a plan does (``steps``), what it touches, and what is wrong with it."""

    steps: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    touched: Counter[str] = field(default_factory=Counter)
    applied: bool = False
    #: Codes the plan retires (retire, merge, recode): their keys and adapters stop too.
    retiring: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: the counts of what the plan touches."""
        return ", ".join(f"{n} {w}" for w, n in sorted(self.touched.items()) if n) or "nothing"


def parse_plan(text: str) -> tuple[list[PlanRow], list[str]]:
    """The rows of a plan and the problems found reading it (header, actions, cells)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    rows: list[PlanRow] = []
    problems: list[str] = []
    header = next(reader, None)
    if header is None or tuple(c.strip().lower() for c in header) != HEADER:
        return [], [f"line 1: the header must be {','.join(HEADER)}"]
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(HEADER):
            problems.append(f"line {number}: {len(cells)} cells, {len(HEADER)} expected")
            continue
        values = [nfc(c.strip()) for c in cells]
        row = PlanRow(number, values[0].lower(), *values[1:])
        problems += _row_problems(row)
        rows.append(row)
    problems += _used_twice(rows)
    return rows, problems


_NEEDS = {
    "add": ("name",),
    "rename": ("name",),
    "move": (),
    "retire": ("successor",),
    "merge": ("successor",),
    "recode": ("new_code",),
}


def _row_problems(row: PlanRow) -> list[str]:
    if row.action not in _NEEDS:
        return [f"line {row.line}: unknown action {row.action[:20]!r} ({', '.join(_ORDER)})"]
    missing = [c for c in ("code", *_NEEDS[row.action]) if not getattr(row, c)]
    return [f"line {row.line}: {row.action} needs {c}" for c in missing]


def _used_twice(rows: list[PlanRow]) -> list[str]:
    """A code changed by two rows, or made twice, is ambiguous: say which lines."""
    seen: dict[str, int] = {}
    problems = []
    for row in rows:
        made = [row.new_code] if row.action == "recode" else []
        for code in [row.code, *made]:
            if code in seen:
                problems.append(f"line {row.line}: {code} is used twice (also line {seen[code]})")
            else:
                seen[code] = row.line
    return problems


async def apply_plan(
    db: Database, text: str, *, dry_run: bool = False, actor: str = "admin"
) -> PlanReport:
    """Check ``text`` and apply it in one transaction (not with ``dry_run``); a report.

    ``directory.plan_refused`` with every problem, one per line, when there is any."""
    rows, problems = parse_plan(text)
    report = PlanReport(problems=problems)
    known = [r for r in rows if r.action in _ORDER]
    ordered = sorted(known, key=lambda r: (_ORDER.index(r.action), r.line))
    try:
        async with db.session(write=True) as session:
            groups = await _group_sizes(session)
            for row in ordered:
                report.steps.append(f"line {row.line}: {row.describe()}")
                await _run(session, row, report, actor)
            await _groups_changed(session, groups, report, actor)
            if report.problems:
                raise _Refused
            if dry_run:
                raise _DryRun
            report.applied = True
    except (_Refused, _DryRun):
        pass
    if report.problems:
        listed = report.problems[:_MAX_PROBLEMS]
        raise DirectoryError(
            f"the plan was not applied ({len(report.problems)} problems):\n" + "\n".join(listed),
            code="directory.plan_refused",
        )
    return report


async def _group_sizes(session: AsyncSession) -> dict[str, list[str]]:
    rows = (await session.execute(select(GroupRow).order_by(GroupRow.code))).scalars().all()
    return {g.code: await group_members(session, g) for g in rows}


async def _groups_changed(
    session: AsyncSession, before: dict[str, list[str]], report: PlanReport, actor: str
) -> None:
    """Say which groups the plan changes (members as of now; scheduled changes are
    resolved when a group is expanded). A group of the units exactly N levels below a
    unit follows its members when a level goes away (the districts of 2025): its depth
    becomes the one its remaining members now stand at."""
    await session.flush()
    after = await _group_sizes(session)
    for code, members in after.items():
        if before.get(code) and not await _live(session, members):
            members = await _follow_depth(session, code, before[code], actor) or members
        if len(before.get(code, [])) != len(members):
            report.steps.append(
                f"group {code}: {len(before.get(code, []))} -> {len(members)} members"
            )
            report.touched["groups changed"] += 1


async def _live(session: AsyncSession, codes: list[str]) -> list[str]:
    """Those of ``codes`` that are not retired."""
    if not codes:
        return []
    query = select(UnitRow.code).where(UnitRow.code.in_(codes), UnitRow.valid_until.is_(None))
    return list((await session.execute(query)).scalars())


async def _follow_depth(session: AsyncSession, code: str, was: list[str], actor: str) -> list[str]:
    """Give a depth group whose members the plan all retired or moved the depth its
    remaining members now stand at (when that is one depth)."""
    group = await session.get(GroupRow, code)
    if group is None or group.kind != "descendants" or group.depth is None:
        return []
    assert group.parent_code is not None
    depths: dict[int, list[str]] = {}
    for depth in range(1, group.depth + 3):
        query = descendants_query(group.parent_code, depth)
        found = [u.code for u in (await session.execute(query)).scalars() if u.code in was]
        kept = await _live(session, found)
        if kept:
            depths[depth] = kept
    if len(depths) != 1:
        return []
    ((depth, _kept),) = depths.items()
    old, group.depth = group.depth, depth
    await session.flush()
    detail = {"group": code, "depth": depth, "was": old}
    await audit.append(session, actor, "group.followed", unit=group.parent_code, detail=detail)
    return await group_members(session, group)


class _Refused(Exception):
    """Roll the plan back: it has problems."""


class _DryRun(Exception):
    """Roll the plan back: it was only tried."""


async def _run(session: AsyncSession, row: PlanRow, report: PlanReport, actor: str) -> None:
    try:
        at = parse_at(row.effective_at)
        await _touched(session, row, report)
        await _OPS[row.action](session, row, at, actor)
        report.touched[_COUNTED[row.action]] += 1
    except GatewayError as exc:
        report.problems.append(f"line {row.line}: {exc.code}: {exc.message}")


async def _touched(session: AsyncSession, row: PlanRow, report: PlanReport) -> None:
    """Count what a retiring row carries over: live tokens, pending items, group places."""
    if row.action not in ("retire", "merge", "recode"):
        return
    report.retiring.append(row.code)
    report.touched.update(await touched_by(session, row.code))


async def touched_by(session: AsyncSession, code: str) -> Counter[str]:
    """What retiring ``code`` carries over to its successor (the plan's counts, and the
    console's preview of one change): live tokens, pending items, group places, children."""
    queries = {
        "tokens stopping": select(func.count(TokenRow.id)).where(
            TokenRow.unit_code == code, TokenRow.revoked_at.is_(None)
        ),
        "pending items handed over": select(func.count(MailboxItemRow.item_id)).where(
            MailboxItemRow.unit == code, MailboxItemRow.acked_at.is_(None)
        ),
        "group places following": select(func.count(GroupMemberRow.unit_code)).where(
            GroupMemberRow.unit_code == code
        ),
        "child units following": select(func.count(UnitRow.code)).where(
            UnitRow.parent_code == code, UnitRow.valid_until.is_(None)
        ),
    }
    counts: Counter[str] = Counter()
    for what, query in queries.items():
        counts[what] += int((await session.execute(query)).scalar_one())
    return counts


_COUNTED = {
    "add": "units added",
    "rename": "units renamed",
    "move": "units moved",
    "retire": "units retired",
    "merge": "units merged",
    "recode": "units re-coded",
}

_Op = Callable[[AsyncSession, PlanRow, datetime, str], Awaitable[object]]


_OPS: dict[str, _Op] = {
    "add": lambda s, r, at, actor: changes.add_unit(
        s, r.code, r.name, r.parent or None, at, actor=actor
    ),
    "rename": lambda s, r, at, actor: changes.rename(s, r.code, r.name, at, actor=actor),
    "move": lambda s, r, at, actor: changes.move(s, r.code, r.parent or None, at, actor=actor),
    "retire": lambda s, r, at, actor: changes.retire(s, r.code, [r.successor], at, actor=actor),
    "merge": lambda s, r, at, actor: changes.retire(
        s, r.code, [r.successor], at, actor=actor, kind="merge"
    ),
    "recode": lambda s, r, at, actor: changes.recode(s, r.code, r.new_code, at, actor=actor),
}
