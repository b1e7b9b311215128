"""What differs between the database backends, behind one small strategy object.

The store runs on PostgreSQL and on SQLite. Each is a :class:`Dialect`: its name, its
``INSERT`` construct (for ``ON CONFLICT DO NOTHING RETURNING``), whether it writes several
tables in one statement (data-modifying CTEs, ``UPDATE … FROM`` returning the old row: the
hot paths then take one round trip), how a ``LIKE`` with escapes is written and whether a
many-unit search probes each message. The store modules ask :func:`of` (a session's
dialect) instead of comparing dialect names. A new backend is one more subclass here (and
its engine set-up in :mod:`gateway.store.db`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ColumnElement, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gateway.errors import ConfigError
from gateway.store.models import table
from gateway.store.prepared import Prepared, insert_of

__all__ = ["POSTGRES", "SQLITE", "Dialect", "IfNew", "named", "of", "prefixed", "prefixed_params"]


class Dialect:
    """One backend's way with the statements that differ."""

    #: SQLAlchemy's dialect name.
    name: ClassVar[str]
    #: Several writes in one statement (see the module docstring); otherwise the store
    #: runs them one after the other in the same transaction.
    combined_writes: ClassVar[bool]
    #: A search for several units probes the deliveries of each message (``OFFSET 0``
    #: keeps PostgreSQL's planner from hashing every delivery of every unit first).
    probe_per_message: ClassVar[bool]

    def like(
        self, column: ColumnElement[str] | InstrumentedAttribute[str], pattern: str
    ) -> ColumnElement[bool]:
        """``column LIKE pattern``, the pattern's wildcards escaped by a backslash."""
        return column.like(pattern, escape="\\")

    def insert(self, target: Any) -> Any:
        """An ``INSERT`` into ``target`` that knows ``on_conflict_do_nothing``."""
        raise NotImplementedError


class Postgres(Dialect):
    name = "postgresql"
    combined_writes = True
    probe_per_message = True

    def insert(self, target: Any) -> Any:
        return postgresql.insert(target)

    def like(
        self, column: ColumnElement[str] | InstrumentedAttribute[str], pattern: str
    ) -> ColumnElement[bool]:
        """Without an ESCAPE clause (backslash is PostgreSQL's default) so that the planner
        sees a plain LIKE the trigram index answers."""
        return column.like(pattern)


class Sqlite(Dialect):
    name = "sqlite"
    combined_writes = False
    probe_per_message = False

    def insert(self, target: Any) -> Any:
        return sqlite.insert(target)


POSTGRES = Postgres()
SQLITE = Sqlite()
_BY_NAME: dict[str, Dialect] = {d.name: d for d in (POSTGRES, SQLITE)}


def named(name: str) -> Dialect:
    """The dialect of SQLAlchemy's dialect ``name`` (``postgresql``, ``sqlite``);
    ``config.invalid`` for a backend the store does not run on."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise ConfigError(f"unsupported database {name!r} (known: {known})") from None


def of(session: AsyncSession) -> Dialect:
    """The dialect ``session`` runs on."""
    return named(session.bind.dialect.name if session.bind is not None else SQLITE.name)


class IfNew:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING`` on ``row``'s table, prebuilt for every
    dialect: one statement that inserts a row unless its key is there, and says which
    (SQLite ≥ 3.35 and PostgreSQL). Run with a list of rows, it returns the new ones."""

    def __init__(self, row: Any, columns: list[str], keys: list[str], returning: list[str]):
        t = table(row)
        values: dict[str, Any] = {name: bindparam(name) for name in columns}
        self._prepared = {
            d.name: Prepared(
                d.insert(t)
                .values(values)
                .on_conflict_do_nothing(index_elements=keys)
                .returning(*(t.c[n] for n in returning))
            )
            for d in _BY_NAME.values()
        }

    def on(self, dialect: Dialect) -> Prepared:
        """The statement for ``dialect``."""
        return self._prepared[dialect.name]


def prefixed(row: Any, prefix: str, columns: list[str]) -> Any:
    """The statement of :func:`insert_of` on ``row``'s table with prefixed parameters (a
    piece of a combined write)."""
    return insert_of(table(row), columns, prefix).statement


def prefixed_params(**rows: dict[str, Any]) -> dict[str, Any]:
    """One parameter set for a statement built with :func:`prefixed`: each row's values
    under its prefix (``r={"id": 1}`` → ``{"r_id": 1}``)."""
    return {f"{prefix}_{k}": v for prefix, row in rows.items() for k, v in row.items()}
