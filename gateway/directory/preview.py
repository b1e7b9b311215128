"""A directory change tried without being made: what the console shows an operator before
it is confirmed (issue 24).

The change runs in a write transaction exactly as it would (:mod:`gateway.directory.changes`,
the code the CLI, the HTTP API and plans run), and is rolled back: the preview lists the
audit entries it would write (the unit changed, groups and child units following, a
scheduled rename or move) and what retiring the unit carries over to its successor
(tokens stopping, pending items handed over, group places, child units). A change that
cannot be made fails here with the error it would fail with when confirmed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gateway.directory.directory import Change
from gateway.directory.plan import touched_by
from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import UnitChangeRow, utcnow

__all__ = ["RETIRING", "ChangePreview", "pending_changes", "preview_change"]

#: The changes that retire the unit they are made on (its traffic goes to a successor).
RETIRING = ("retire", "merge", "recode", "split")


@dataclass(frozen=True, slots=True)
class ChangePreview:
    """What a change would write (``entries``: audit entries, in order) and carry over."""

    action: str
    code: str
    at: datetime
    entries: list[dict[str, Any]] = field(default_factory=list)
    touched: dict[str, int] = field(default_factory=dict)

    @property
    def scheduled(self) -> bool:
        """True when the change takes effect later (kept until its instant)."""
        return self.at > utcnow()


class _RolledBack(Exception):
    """Carries the preview out of the transaction it undoes."""

    def __init__(self, entries: list[dict[str, Any]], touched: Counter[str]) -> None:
        super().__init__("preview")
        self.entries = entries
        self.touched = touched


async def preview_change(
    db: Database, make: Change, action: str, code: str, at: datetime, *, actor: str
) -> ChangePreview:
    """Run ``make`` (``action`` on ``code`` at ``at``) and roll it back; what it would do.
    A typed error of the change is raised as the change itself would raise it."""
    try:
        async with db.session(write=True) as session:
            touched = await touched_by(session, code) if action in RETIRING else Counter()
            await make(session, actor)
            raise _RolledBack(audit.pending(session), touched)
    except _RolledBack as done:
        entries = [
            {"action": e["action"], "unit": e["unit"], "detail": e["detail"]} for e in done.entries
        ]
        counts = {what: n for what, n in sorted(done.touched.items()) if n}
        return ChangePreview(action, code, at, entries, counts)
    raise AssertionError("unreachable: the preview always rolls back")  # pragma: no cover


async def pending_changes(db: Database, code: str) -> list[dict[str, Any]]:
    """Renames and moves of ``code`` scheduled for later and not applied yet, by instant."""
    async with db.read() as session:
        query = (
            select(UnitChangeRow)
            .where(UnitChangeRow.code == code, UnitChangeRow.applied_at.is_(None))
            .order_by(UnitChangeRow.effective_at, UnitChangeRow.id)
        )
        rows = (await session.execute(query)).scalars()
        return [
            {"action": "move" if r.moves else "rename", "name": r.name, "parent": r.parent,
             "at": r.effective_at}
            for r in rows
        ]  # fmt: skip
