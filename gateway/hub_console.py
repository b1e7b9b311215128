"""The operators' console's part of the hub facade: the overview's counters, the audit
trail and live feed, the units as operators watch them (and which of them the caller may
pick), the search page and the dashboard's deliveries, each checking first who may read
it (:mod:`gateway.facade.authz`: operators, a leader limited to its scope).

:class:`gateway.hub.Hub` is these methods with the others on top of the parts
(:mod:`gateway.hub_parts`); the store's reads are in :mod:`gateway.store.console_reads`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from gateway.directory.last_seen import check_days, not_seen_for
from gateway.directory.lineage import names_then
from gateway.errors import GatewayError
from gateway.facade import SearchFilters, authz
from gateway.facade.console import MessageCounts, UnitState
from gateway.hub_access import HubAccess
from gateway.pipeline.deliver import MAX_LIMIT
from gateway.store import console_reads

__all__ = ["ConsoleDesk"]


class ConsoleDesk(HubAccess):
    """The hub's parts with the console's read methods."""

    async def message_counts(self, p: authz.PrincipalLike, since: datetime) -> MessageCounts:
        """Operators: documents since ``since``, in flight, failed and dead-lettered (a
        leader: of its scope, and no dead letters, which are the whole hub's)."""
        authz.require_operator(p)
        scope = authz.scope_units(p)
        async with self.db.read() as session:
            found = await console_reads.counts(session, scope, since)
        dead = await self.bus.dead_letter_count() if scope is None else 0
        return MessageCounts(found["today"], found["in_flight"], found["failed"], dead)

    async def audit_trail(self, p: authz.PrincipalLike, message_id: str) -> list[dict[str, Any]]:
        """Operators: every audit entry about one message, oldest first (a leader: those
        about the message as a whole and about the units of its scope)."""
        authz.require_operator(p)
        async with self.db.read() as session:
            rows = await console_reads.audit_of(session, message_id)
        return [
            {"seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "unit": r.unit}
            for r in rows
            if r.unit is None or authz.sees_unit(p, r.unit)
        ]

    async def audit_events(
        self, p: authz.PrincipalLike, after: int, limit: int = 200
    ) -> tuple[list[dict[str, Any]], int]:
        """Operators: the audit entries after ``after`` that the caller sees (a leader:
        about the units of its scope), and the seq to read on from."""
        authz.require_operator(p)
        async with self.db.read() as session:
            rows = await console_reads.audit_after(session, after, limit)
        events = [
            {"seq": r.seq, "action": r.action, "message_id": r.message_id, "unit": r.unit}
            for r in rows
            if authz.sees_unit(p, r.unit)
        ]
        return events, rows[-1].seq if rows else after

    async def last_audit_seq(self, p: authz.PrincipalLike) -> int:
        """Operators: the newest audit entry's seq (0 when empty), where a feed starts."""
        authz.require_operator(p)
        async with self.db.read() as session:
            return await console_reads.last_audit_seq(session)

    async def unit_states(
        self, p: authz.PrincipalLike, *, not_seen_days: int | None = None
    ) -> list[UnitState]:
        """Operators: the units the caller sees (a leader: its scope), by code, with their
        pending items, last-seen times and retirement; with ``not_seen_days``, only those
        never seen or not seen for that many days."""
        authz.require_operator(p)
        units = [u for u in await self.directory.list() if authz.sees_unit(p, u.code)]
        if not_seen_days is not None:
            days = check_days(not_seen_days)
            units = [u for u in units if not_seen_for(days, u.last_seen_at)]
        pending = {s.unit: s.pending_items for s in await self.messages.unit_summaries()}
        snap = await self.directory.lineage.snapshot()
        out = []
        for u in units:
            links = snap.successors(u.code) if u.valid_until is not None else []
            successor = links[0].successor if links else None
            state = UnitState(
                u.code, u.name, u.parent, u.last_seen_at, pending.get(u.code, 0),
                u.valid_until, successor,
            )  # fmt: skip
            out.append(state)
        return out

    async def units_seen(self, p: authz.PrincipalLike, codes: Iterable[str]) -> frozenset[str]:
        """Operators: those of ``codes`` the caller sees (a leader: the units of its scope),
        the units a page may offer or pick."""
        authz.require_operator(p)
        return frozenset(code for code in codes if authz.sees_unit(p, code))

    async def successor_now(self, p: authz.PrincipalLike, code: str) -> str | None:
        """Operators: the unit that stands for ``code`` now when it is retired (else None)."""
        authz.require_operator(p)
        lineage = self.directory.lineage
        snap = await lineage.snapshot()
        if not snap.retired(code, lineage.clock()):
            return None
        try:
            return str(snap.resolve(code, lineage.clock())[0])
        except GatewayError:
            return None

    async def search_page(
        self,
        p: authz.PrincipalLike,
        filters: SearchFilters | None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Operators: a page of :meth:`search` for the console, each message with its
        states counted and its sender under the name it had when it sent (issue 24)."""
        authz.require_operator(p)
        scoped = authz.scoped_search(p, filters)
        page = await self.messages.search(scoped, cursor, max(1, min(limit, MAX_LIMIT)))
        then = await names_then(self.db, [(m.sender, m.created_at) for m in page.items])
        items = [
            {**m.to_json(), "state_counts": dict(m.states), "sender_name": name}
            for m, name in zip(page.items, then, strict=True)
        ]
        units = [{"code": c, "name": n} for c, n in page.units]
        return {"items": items, "next_cursor": page.next_cursor, "hint": page.hint, "units": units}

    async def period_deliveries(
        self,
        p: authz.PrincipalLike,
        since: datetime,
        until: datetime,
        area: frozenset[str] | None = None,
    ) -> tuple[list[Any], dict[tuple[str, str, str], Any]]:
        """Operators: the deliveries of the messages sent in [since, until) from or to
        ``area`` (None: all the caller sees; a leader: never beyond its scope), with the
        first 01 and 06 of each."""
        authz.require_operator(p)
        scope = authz.scope_units(p)
        if scope is not None:
            area = scope if area is None else area & scope
        async with self.db.read() as session:
            return await console_reads.period_deliveries(session, since, until, area)
