"""The operators' part of the hub facade: search, reports, exports, dead letters,
escalation sends and directory changes, each checking first who may do it
(:mod:`gateway.facade.authz`).

:class:`gateway.hub.Hub` is these methods on top of the parts (:mod:`gateway.hub_parts`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.dead_letters import dead_letter_json, resolve_dead_letter
from gateway.dead_letters import not_found as dead_letter_not_found
from gateway.deadlines.unknown_sends import list_sends, resolve_send
from gateway.directory import changes
from gateway.directory.last_seen import check_days, not_seen_for
from gateway.directory.lineage import parse_at
from gateway.directory.preview import ChangePreview, pending_changes, preview_change
from gateway.errors import NotFoundError
from gateway.exports import Export, export_search, overdue_json, unit_summary_json
from gateway.facade import authz
from gateway.hub_access import HubAccess
from gateway.pipeline.deliver import MAX_LIMIT
from gateway.store.records import SearchFilters

__all__ = ["OperatorDesk"]


class OperatorDesk(HubAccess):
    """The hub's parts with the operators' methods."""

    async def search(
        self,
        p: authz.PrincipalLike,
        filters: SearchFilters | None = None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Operators only: ``{"items": [...], "next_cursor"}``."""
        authz.require_operator(p)
        scoped = authz.scoped_search(p, filters)
        return (await self.messages.search(scoped, cursor, max(1, min(limit, MAX_LIMIT)))).to_json()

    async def unit_summaries(
        self, p: authz.PrincipalLike, unit: str | None = None, *, not_seen_days: int | None = None
    ) -> list[dict[str, Any]]:
        """Operators: per-unit counters and last-seen times; with ``not_seen_days``, only
        units not seen for that many days."""
        authz.require_operator(p)
        summaries = [
            s for s in await self.messages.unit_summaries(unit) if authz.sees_unit(p, s.unit)
        ]
        if not_seen_days is not None:
            days = check_days(not_seen_days)
            summaries = [s for s in summaries if not_seen_for(days, s.last_seen_at)]
        return [unit_summary_json(s) for s in summaries]

    async def overdue(self, p: authz.PrincipalLike, *, limit: int = 500) -> list[dict[str, Any]]:
        """Operators: deliveries past their document's due date without a final status."""
        authz.require_operator(p)
        rows = await self.messages.overdue(limit=max(1, min(limit, 10_000)))
        return [overdue_json(r) for r in rows if authz.sees_unit(p, r.recipient)]

    async def search_export(
        self, p: authz.PrincipalLike, filters: SearchFilters | None, fmt: str
    ) -> Export:
        """Operators: every hit of a search as a CSV or XLSX file (``fmt``)."""
        authz.require_operator(p)
        return await export_search(self.messages, authz.scoped_search(p, filters), fmt)

    async def dead_letters(self, p: authz.PrincipalLike) -> list[dict[str, Any]]:
        """Operators of the whole hub: what the bus gave up on (at most 500), with why."""
        authz.require_whole_hub(p)
        return [dead_letter_json(d) for d in await self.bus.dead_letters(limit=500)]

    async def resolve_dead_letter(self, p: authz.PrincipalLike, dead_id: str, action: str) -> None:
        """Operators: retry or discard one dead letter (audited); ``dead_letter.not_found``."""
        operator = authz.require_whole_hub(p)
        if not await resolve_dead_letter(self.db, self.bus, operator, dead_id, action):
            raise dead_letter_not_found(dead_id)

    async def escalation_sends(
        self, p: authz.PrincipalLike, state: str | None = None
    ) -> list[dict[str, Any]]:
        """Operators of the whole hub: the newest escalation sends (at most 500), in
        ``state`` when given (``unknown``: the ones waiting for an operator)."""
        authz.require_whole_hub(p)
        return await list_sends(self.escalation, state)

    async def resolve_escalation_send(
        self, p: authz.PrincipalLike, send_id: str, action: str
    ) -> dict[str, Any]:
        """Operators of the whole hub: an ``unknown`` send arrived (``sent``) or goes once
        more (``resend``), audited; the send afterwards (``escalation.not_found``,
        ``escalation.not_unknown``)."""
        operator = authz.require_whole_hub(p)
        return await resolve_send(self.escalation, operator, send_id, action)

    async def change_unit(
        self, p: authz.PrincipalLike, code: str, action: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Operators of the whole hub: rename, move, retire, merge, recode or split ``code``
        (audited); the unit it made or changed, with its lineage."""
        operator = authz.require_whole_hub(p)
        make = changes.from_fields(action, code, fields)
        unit = await self.directory.change(make, actor=f"operator:{operator}")
        return await self.directory.describe(unit.code)

    async def unit_changes(
        self, p: authz.PrincipalLike, code: str
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Operators of the whole hub: the unit ``code`` with its lineage, and its renames
        and moves scheduled for later and not applied yet (what a change starts from)."""
        authz.require_whole_hub(p)
        unit = await self.directory.describe(code)
        return unit, await pending_changes(self.db, unit["code"])

    async def preview_unit_change(
        self, p: authz.PrincipalLike, code: str, action: str, fields: Mapping[str, Any]
    ) -> ChangePreview:
        """Operators of the whole hub: what :meth:`change_unit` with the same arguments
        would write and carry over, tried and rolled back (its typed error if it cannot
        be made)."""
        operator = authz.require_whole_hub(p)
        at = parse_at(fields.get("at"))
        make = changes.from_fields(action, code, fields)
        return await preview_change(self.db, make, action, code, at, actor=f"operator:{operator}")

    async def unit_lineage(self, p: authz.PrincipalLike, code: str) -> dict[str, Any]:
        """Operators: one unit with its validity, predecessors and successors (a leader:
        a unit of its scope; another is ``directory.unknown_unit``)."""
        authz.require_operator(p)
        if not authz.sees_unit(p, code):
            raise NotFoundError(f"no unit {code[:40]!r}", code="directory.unknown_unit")
        return await self.directory.describe(code)
