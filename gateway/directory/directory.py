"""The directory: units in a tree of any depth, groups of units, and credentials.

:class:`Directory` adds, reads, moves and removes units, expands addressees (units and
groups, :meth:`Directory.expand`) into distinct unit codes and holds the tokens; its
groups are in :mod:`gateway.directory.groups`, its row reads and writes in
:mod:`gateway.directory.rows`.
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.directory.csv_import import (
    UnitSpec,
    check_directory_code,
    order_parents_first,
    parse_units_csv,
)
from gateway.directory.groups import DirectoryGroups, Group, group_units
from gateway.directory.lineage import Lineage, Link, read_snapshot
from gateway.directory.principal import Principal
from gateway.directory.rows import (
    check_name,
    descendant_codes,
    descendants_query,
    in_use,
    insert_unit,
    is_unit,
    opt_code,
    unit_row,
    update_unit,
)
from gateway.directory.tokens import TokenInfo, TokenRegistry
from gateway.errors import DirectoryError, RoutingError, UnknownUnitError
from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import TokenRow, UnitRow, utcnow

__all__ = ["Change", "Directory", "Group", "ImportResult", "Unit"]

#: A change of the directory: given a write session and the actor, the unit it made or
#: changed (see :mod:`gateway.directory.changes`).
Change = Callable[[AsyncSession, str], Awaitable[UnitRow]]


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as the directory knows it."""

    code: str
    name: str
    parent: str | None
    created_at: datetime
    last_seen_at: datetime | None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    @classmethod
    def of(cls, row: UnitRow) -> Unit:
        """From a table row."""
        return cls(
            row.code,
            row.name,
            row.parent_code,
            row.created_at,
            row.last_seen_at,
            row.valid_from,
            row.valid_until,
        )


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: units added, units changed, units already as listed."""

    created: int
    updated: int
    unchanged: int


class Directory(DirectoryGroups):
    """Units, groups and tokens, over a :class:`~gateway.store.db.Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.lineage = Lineage(db)
        self.tokens = TokenRegistry(db, self.lineage)
        #: ``forward`` (documents to a retired code go to its successor) or ``refuse``
        #: (``routing.unit_retired``, naming the successor); a re-coded code always forwards.
        self.retired_units = "forward"
        #: Codes found to be units: addressing a known unit needs no read. Only a unit
        #: that never had traffic can be removed (:meth:`remove`), so a code found here by
        #: a message that was accepted stays a unit.
        self._units: set[str] = set()

    # -- units -------------------------------------------------------------------------

    async def add(
        self, code: str, name: str, parent: str | None = None, *, actor: str = "admin"
    ) -> Unit:
        """Add a unit under ``parent`` (any depth); ``directory.unit_exists`` if present."""
        spec = UnitSpec(check_directory_code(code), check_name(name), opt_code(parent))
        async with self.db.session(write=True) as session:
            if spec.parent is not None and await session.get(UnitRow, spec.parent) is None:
                raise UnknownUnitError(f"no unit {spec.parent}")
            row = await insert_unit(session, spec, actor)
            return Unit.of(row)

    async def import_csv(self, text: str, *, actor: str = "admin") -> ImportResult:
        """Add or update every unit of a ``code,name,parent`` CSV, all or nothing.

        A unit not yet in the directory is added; one that is gets the CSV's name and
        parent (a move, refused with ``directory.cycle`` if it would loop); running the
        same import again changes nothing."""
        specs = parse_units_csv(text)
        created = updated = 0
        async with self.db.session(write=True) as session:
            existing = set((await session.execute(select(UnitRow.code))).scalars())
            for spec in order_parents_first(specs, existing):
                row = await session.get(UnitRow, spec.code)
                if row is None:
                    await insert_unit(session, spec, actor)
                    created += 1
                elif await update_unit(session, row, spec, actor):
                    updated += 1
        return ImportResult(created, updated, len(specs) - created - updated)

    async def remove(self, code: str, *, actor: str = "admin") -> None:
        """Delete a unit that never took part in an exchange (a typo, a test import).

        ``directory.unit_in_use`` when it sent or received anything, has children, is in
        or under a group, or has a token that is not revoked; its revoked tokens go with it.
        """
        async with self.db.session(write=True) as session:
            row = await unit_row(session, code)
            why = await in_use(session, code)
            if why:
                raise DirectoryError(
                    f"unit {code} cannot be removed: {why}",
                    code="directory.unit_in_use",
                    http_status=409,
                )
            await session.execute(delete(TokenRow).where(TokenRow.unit_code == code))
            await session.delete(row)
            try:
                await session.flush()
            except IntegrityError as exc:
                raise DirectoryError(
                    f"unit {code} cannot be removed: other records refer to it",
                    code="directory.unit_in_use",
                    http_status=409,
                ) from exc
            await audit.append(session, actor, "unit.removed", unit=code, detail={"name": row.name})
        self._units.discard(code)

    async def set_parent(self, code: str, parent: str | None, *, actor: str = "admin") -> None:
        """Move a unit under another parent (``directory.cycle`` if it would loop)."""
        async with self.db.session(write=True) as session:
            row = await unit_row(session, code)
            if parent is not None:
                await unit_row(session, parent)
                if parent == code or parent in await descendant_codes(session, code):
                    raise DirectoryError(f"{parent} is {code} or below it", code="directory.cycle")
            row.parent_code = parent
            await audit.append(session, actor, "unit.moved", unit=code, detail={"parent": parent})

    async def get(self, code: str) -> Unit:
        """One unit; ``directory.unknown_unit`` if there is none."""
        await self.lineage.snapshot()  # scheduled renames and moves that are due
        async with self.db.read() as session:
            return Unit.of(await unit_row(session, code))

    async def exists(self, code: str) -> bool:
        """True when ``code`` is a unit of the directory."""
        async with self.db.read() as session:
            return await session.get(UnitRow, code) is not None

    async def list(self) -> builtins.list[Unit]:
        """Every unit, by code."""
        await self.lineage.snapshot()  # scheduled renames and moves that are due
        async with self.db.read() as session:
            rows = (await session.execute(select(UnitRow).order_by(UnitRow.code))).scalars()
            return [Unit.of(r) for r in rows]

    async def children(self, code: str) -> builtins.list[Unit]:
        """The direct children of a unit, by code."""
        await self.lineage.snapshot()  # scheduled renames and moves that are due
        async with self.db.read() as session:
            await unit_row(session, code)
            query = select(UnitRow).where(UnitRow.parent_code == code).order_by(UnitRow.code)
            return [Unit.of(r) for r in (await session.execute(query)).scalars()]

    async def descendants(self, code: str, depth: int | None = None) -> builtins.list[Unit]:
        """Every unit below ``code`` (or only those exactly ``depth`` levels below)."""
        await self.lineage.snapshot()  # scheduled renames and moves that are due
        async with self.db.read() as session:
            await unit_row(session, code)
            query = descendants_query(code, depth)
            return [Unit.of(r) for r in (await session.execute(query)).scalars()]

    async def last_seen_of(self, codes: Iterable[str]) -> dict[str, datetime | None]:
        """When each of ``codes`` was last seen (units not in the directory are left out)."""
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        query = select(UnitRow.code, UnitRow.last_seen_at).where(UnitRow.code.in_(wanted))
        async with self.db.read() as session:
            return {code: at for code, at in (await session.execute(query)).all()}

    async def touch(self, code: str, at: datetime | None = None) -> None:
        """Record that the unit was seen just now (an API call, a mailbox poll), or ``at``.

        Callers go through :class:`gateway.directory.last_seen.LastSeen` (once a minute)."""
        async with self.db.session() as session:
            await session.execute(
                update(UnitRow).where(UnitRow.code == code).values(last_seen_at=at or utcnow())
            )

    async def expand(self, addressees: Iterable[str]) -> builtins.list[str]:
        """Units and groups → distinct unit codes, in first-seen order.

        ``routing.unknown_recipient`` for a code that is neither; ``routing.no_recipients``
        when nothing is left.
        """
        codes = builtins.list(addressees)
        await self.lineage.snapshot()  # scheduled moves change what a group means
        if codes and all(code in self._units for code in codes):
            return await self._current(builtins.list(dict.fromkeys(codes)))
        result: dict[str, None] = {}
        async with self.db.read() as session:
            for code in codes:
                if code in self._units or await is_unit(session, code):
                    self._units.add(code)
                    result.setdefault(code, None)
                    continue
                for unit in await group_units(session, code):
                    result.setdefault(unit, None)
        if not result:
            raise RoutingError("no recipients", code="routing.no_recipients")
        return await self._current(list(result))

    async def _current(self, codes: builtins.list[str]) -> builtins.list[str]:
        """``codes`` with each retired code replaced by the unit that stands for it now
        (or ``routing.unit_retired`` when this hub refuses them); a code that only starts
        later is ``routing.unknown_recipient``."""
        snap = await self.lineage.snapshot()
        if not snap.valid_until and not snap.valid_from:
            return codes
        now = self.lineage.clock()
        result: dict[str, None] = {}
        for code in codes:
            if snap.not_yet(code, now):
                raise RoutingError(
                    f"unit {code} only starts at {snap.valid_from[code].isoformat()}",
                    code="routing.unknown_recipient",
                )
            target, path = snap.resolve(code, now)
            if path and self.retired_units == "refuse" and path[0].kind != "recode":
                raise RoutingError(
                    f"unit {code} is retired; its successor is {target}",
                    code="routing.unit_retired",
                )
            result.setdefault(target, None)
        return list(result)

    async def forwarded(self, codes: Iterable[str]) -> dict[str, str]:
        """Of ``codes``, each retired now → the unit that stands for it."""
        snap = await self.lineage.snapshot()
        now = self.lineage.clock()
        found = {}
        for code in codes:
            if snap.retired(code, now):
                try:
                    found[code] = snap.resolve(code, now)[0]
                except RoutingError:
                    continue
        return found

    # -- lineage -----------------------------------------------------------------------

    async def change(self, make: Change, *, actor: str = "admin") -> Unit:
        """Run one directory change (:mod:`gateway.directory.changes`) in a transaction."""
        async with self.db.session(write=True) as session:
            row = await make(session, actor)
            unit = Unit.of(row)
        self.lineage.forget()
        return unit

    async def describe(self, code: str) -> dict[str, Any]:
        """A unit with its validity and lineage, as the HTTP API shows it."""
        unit = await self.get(code)
        before, after = await self.links(code)
        now = self.lineage.clock()
        retired = unit.valid_until is not None and unit.valid_until <= now
        return {
            "code": unit.code,
            "name": unit.name,
            "parent": unit.parent,
            "valid_from": unit.valid_from,
            "valid_until": unit.valid_until,
            "state": "retired" if retired else "active",
            "predecessors": [_link_json(k, k.predecessor) for k in before],
            "successors": [_link_json(k, k.successor) for k in after],
        }

    async def links(self, code: str) -> tuple[builtins.list[Link], builtins.list[Link]]:
        """``(predecessors, successors)`` of ``code``: the links into and out of it."""
        await self.get(code)
        snap = await read_snapshot(self.db)
        self.lineage.forget()
        return snap.predecessors(code), snap.successors(code)

    # -- tokens ------------------------------------------------------------------------

    async def create_token(
        self,
        unit: str | None = None,
        operator: str | None = None,
        *,
        actor: str = "admin",
        scope: str | None = None,
    ) -> str:
        """A new bearer token (shown once; only its hash is kept); an operator's may be
        limited to the subtree of the unit ``scope``."""
        return await self.tokens.create(unit, operator, actor=actor, scope=scope)

    async def revoke_token(self, token_or_id: str, *, actor: str = "admin") -> str:
        """Revoke a token given itself or its id; returns the id."""
        return await self.tokens.revoke(token_or_id, actor=actor)

    async def authenticate(self, token: str) -> Principal:
        """Who a bearer token stands for (``auth.invalid_token`` if unknown/revoked)."""
        return await self.tokens.authenticate(token)

    async def list_tokens(self) -> builtins.list[TokenInfo]:
        """Every token (ids and owners, never the secrets)."""
        return await self.tokens.all()


# -- helpers (one session each, no commits of their own) --------------------------------


def _link_json(link: Link, code: str) -> dict[str, Any]:
    return {"code": code, "kind": link.kind, "at": link.effective_at}
