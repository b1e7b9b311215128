"""What the console takes from the hub: :class:`ConsoleHub`, the facade's checked
operations and the console's own (:mod:`gateway.hub_console`, :mod:`gateway.hub_sessions`),
each authorised in the hub. No part of the hub (database, store, directory, bus) is in
it, so mypy proves the console's pages read none of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from gateway.directory.principal import Principal
from gateway.facade import HubFacade, PrincipalLike, SearchFilters
from gateway.facade.console import MessageCounts, UnitState

__all__ = ["ConsoleHub"]


class ConsoleHub(HubFacade, Protocol):
    """The facade (search exports, status, overdue, dead letters, unit changes and
    lineage) with the console's counters, audit feed, unit states, search page and
    dashboard reads, and its login and session checks."""

    async def message_counts(self, p: PrincipalLike, since: datetime) -> MessageCounts:
        """Operators: the overview's counters (a leader: of its scope)."""

    async def audit_trail(self, p: PrincipalLike, message_id: str) -> list[dict[str, Any]]:
        """Operators: a message's audit entries the caller sees, oldest first."""

    async def audit_events(
        self, p: PrincipalLike, after: int, limit: int = 200
    ) -> tuple[list[dict[str, Any]], int]:
        """Operators: the audit entries after ``after`` the caller sees, and where to go on."""

    async def last_audit_seq(self, p: PrincipalLike) -> int:
        """Operators: the newest audit entry's seq."""

    async def unit_states(
        self, p: PrincipalLike, *, not_seen_days: int | None = None
    ) -> list[UnitState]:
        """Operators: the units the caller sees, with pending items and last-seen times."""

    async def units_seen(self, p: PrincipalLike, codes: Iterable[str]) -> frozenset[str]:
        """Operators: those of ``codes`` the caller sees (a leader: its scope's)."""

    async def successor_now(self, p: PrincipalLike, code: str) -> str | None:
        """Operators: the unit that stands for a retired ``code`` now."""

    async def search_page(
        self,
        p: PrincipalLike,
        filters: SearchFilters | None,
        *,
        cursor: str | None = None,
        limit: int = 50,
    ) -> dict[str, Any]:
        """Operators: a search page with states counted and senders' names then."""

    async def period_deliveries(
        self,
        p: PrincipalLike,
        since: datetime,
        until: datetime,
        area: frozenset[str] | None = None,
    ) -> tuple[list[Any], dict[tuple[str, str, str], Any]]:
        """Operators: the deliveries of a period within the caller's scope."""

    async def operator_login(self, token: str) -> tuple[Principal, str]:
        """An operator's token → its principal and the token's id."""

    async def session_principal(self, token_id: str) -> Principal | None:
        """Who a session's token stands for now; None once revoked."""

    async def session_valid(self, token_id: str) -> bool:
        """Whether a session's token is still active."""
