"""What differs between PostgreSQL and SQLite in the store's write statements: which
dialect a session runs on, ``INSERT … ON CONFLICT DO NOTHING RETURNING`` built for each, and
the multi-table statements (data-modifying CTEs) PostgreSQL runs in one round trip."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.models import table
from gateway.store.prepared import Prepared, insert_of


def _if_new(make: Any, row: Any, columns: list[str], keys: list[str], returning: list[str]) -> Any:
    t = table(row)
    stmt = make(t).values({name: bindparam(name) for name in columns})
    return Prepared(
        stmt.on_conflict_do_nothing(index_elements=keys).returning(*(t.c[n] for n in returning))
    )


def by_dialect(
    row: Any, columns: list[str], keys: list[str], returning: list[str]
) -> dict[str, Prepared]:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING``: one statement that inserts a row
    unless its key is there, and says which (SQLite ≥ 3.35 and PostgreSQL). Run with a
    list of rows, it returns the new ones."""
    return {
        "sqlite": _if_new(sqlite.insert, row, columns, keys, returning),
        "postgresql": _if_new(postgresql.insert, row, columns, keys, returning),
    }


def prefixed(row: Any, prefix: str, columns: list[str]) -> Any:
    """The statement of :func:`insert_of` on ``row``'s table with prefixed parameters."""
    return insert_of(table(row), columns, prefix).statement


def prefixed_params(**rows: dict[str, Any]) -> dict[str, Any]:
    """One parameter set for a statement built with :func:`prefixed`: each row's values
    under its prefix (``r={"id": 1}`` → ``{"r_id": 1}``)."""
    return {f"{prefix}_{k}": v for prefix, row in rows.items() for k, v in row.items()}


def dialect(session: AsyncSession) -> str:
    """``sqlite`` or ``postgresql``: which of the prebuilt dialect statements to run."""
    return session.bind.dialect.name if session.bind is not None else "sqlite"
