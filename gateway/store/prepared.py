"""Prebuilt statements that SQLAlchemy compiles once and the driver runs directly.

The hot paths run a few fixed statements thousands of times. Through SQLAlchemy each run
pays for a cache key, an execution context, a greenlet hop per driver call and a result
object: several times the CPU of the statement on asyncpg itself. :class:`Prepared` keeps
the SQLAlchemy statement (so it is written, typed and compiled once per dialect as before)
and :func:`run` executes the compiled SQL on the pooled driver connection of the session's
transaction:

- PostgreSQL: through SQLAlchemy's asyncpg adapter (its prepared-statement cache, its
  lazy ``BEGIN`` and its execution lock), then asyncpg's ``fetch``/``executemany``;
- SQLite: on the connection of :mod:`gateway.store.sqlite_driver` (inline, retried on
  the worker thread only when another process holds the lock).

A list of parameter sets runs the statement once per set, in one round trip on
PostgreSQL (asyncpg's ``executemany``, or ``fetchmany`` when it returns rows: the rows of
every run, in order). Parameters go through the same bind processors (``UTCDateTime``,
SQLite dates) and result columns through the same result processors as on the
SQLAlchemy path. Driver errors come
out as SQLAlchemy's exceptions (``IntegrityError``, ``OperationalError``, …), a lost
connection is invalidated, so callers see what they saw before. Statements with
*expanding* parameters (``IN`` lists) cannot be prepared: run a one-row statement with a
list of parameter sets instead. Any other driver takes the SQLAlchemy path.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.store.sqlite_driver import InlineConnection

__all__ = ["Prepared", "Rows", "driver_of", "insert_of", "run"]

Params = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
_ROWCOUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


class Rows:
    """The rows of one run (what the callers use of a ``CursorResult``)."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        """The first row, or ``None``."""
        return self._rows[0] if self._rows else None

    def all(self) -> list[Any]:
        """Every row."""
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for one dialect, with what it takes to run it."""

    sql: str
    names: tuple[str, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    #: The values written into the statement itself (``kind == "receipt"``, ``LIMIT 1``).
    fixed: Mapping[str, Any]
    row: Callable[..., Any] | None
    results: tuple[Callable[[Any], Any] | None, ...]

    def args(self, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        given, fixed = params or {}, self.fixed
        try:
            values = [given[n] if n in given else fixed[n] for n in self.names]
        except KeyError as exc:
            raise ValueError(f"a value is required for parameter {exc.args[0]!r}") from None
        return tuple(
            v if bind is None else bind(v) for v, bind in zip(values, self.binds, strict=True)
        )

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Any]:
        if self.row is None:
            return [tuple(r) for r in raw]
        results, make = self.results, self.row
        if not any(results):
            return [make(*r) for r in raw]
        return [
            make(*(v if p is None else p(v) for v, p in zip(r, results, strict=True))) for r in raw
        ]


class Prepared:
    """A Core statement built once, run on the driver (see the module docstring)."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect: Dialect) -> _Plan:
        """The statement compiled for ``dialect`` (once)."""
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        return plan


def insert_of(table: Any, columns: Sequence[str], prefix: str = "") -> Prepared:
    """``INSERT INTO table (columns…)``, run with a dict (or a list of dicts) holding
    every one of those keys (a missing one is a ``ValueError``, not a NULL); the table's
    other columns get their defaults. ``prefix``: the keys are ``prefix`` + column (for
    statements that insert into several tables, as CTEs)."""
    values: dict[str, Any] = {name: bindparam(prefix + name) for name in columns}
    return Prepared(insert(table).values(values))


def _compile(statement: Any, dialect: Dialect) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("statements with expanding parameters cannot be prepared")
    names = tuple(compiled.positiontup or ())
    processors = compiled._bind_processors
    columns = compiled._result_columns
    row: Callable[..., Any] | None = None
    if columns:
        row = namedtuple("Row", [c.keyname for c in columns], rename=True)  # type: ignore[misc,no-redef]
    results = tuple(c.type._cached_result_processor(dialect, None) for c in columns)
    written = compiled.construct_params(None, _check=False)
    fixed = {n: written[n] for n in names if not compiled.binds[n].required}
    return _Plan(
        str(compiled),
        names,
        tuple(processors.get(n) for n in names),
        fixed,
        row,
        results,
    )


def driver_of(adapter: Any) -> str | None:
    """``asyncpg`` or ``sqlite`` when :func:`run` can use this DBAPI adapter, else ``None``."""
    name = type(adapter).__name__
    if name == "AsyncAdapt_asyncpg_connection":
        return "asyncpg"
    if name == "AsyncAdapt_aiosqlite_connection" and isinstance(
        getattr(adapter, "_connection", None), InlineConnection
    ):
        return "sqlite"
    return None


async def run(
    connection: AsyncConnection, adapter: Any, driver: str, prepared: Prepared, params: Params
) -> Rows:
    """Run ``prepared`` with ``params`` (a list: once per item) in the connection's
    transaction; SQLAlchemy's exceptions on failure."""
    dialect = connection.dialect
    plan = prepared.plan(dialect)
    many = isinstance(params, Sequence) and not isinstance(params, Mapping)
    args: Any = [plan.args(p) for p in params] if many else plan.args(params)  # type: ignore[union-attr,arg-type]
    rows = plan.row is not None
    try:
        if driver == "asyncpg":
            raw, count = await _asyncpg(adapter, plan.sql, args, many, rows)
        else:
            raw, count = await _sqlite(adapter, plan.sql, args, many, rows)
    except sa_exc.SQLAlchemyError:
        raise
    except Exception as error:
        await _raise_translated(connection, adapter, driver, plan.sql, args, error)
    return Rows(plan.rows(raw), count)


async def _asyncpg(adapter: Any, sql: str, args: Any, many: bool, rows: bool) -> tuple[Any, int]:
    async with adapter._execute_mutex:
        if adapter._transaction is None:
            await adapter._start_transaction()  # a no-op in autocommit
        statement, _attributes = await adapter._prepare(sql, 0)
        if many:  # every parameter set in one round trip (asyncpg pipelines them)
            if rows:
                return await statement.fetchmany(args), -1
            await statement.executemany(args)
            return [], -1
        records = await statement.fetch(*args)
        match = _ROWCOUNT.match(statement.get_statusmsg() or "")
        return records, int(match.group(1)) if match else -1


async def _sqlite(adapter: Any, sql: str, args: Any, many: bool, rows: bool) -> tuple[Any, int]:
    inline: InlineConnection = adapter._connection
    raw = inline._connection
    assert raw is not None
    if many and rows:  # sqlite3's executemany gives no rows back
        every: list[Any] = []
        for one in args:
            every.extend((await _sqlite(adapter, sql, one, False, True))[0])
        return every, -1
    cursor = await inline._execute(raw.executemany if many else raw.execute, sql, args)
    try:
        found = cursor.fetchall() if cursor.description is not None else []
        return found, cursor.rowcount
    finally:
        cursor.close()


async def _raise_translated(
    connection: AsyncConnection,
    adapter: Any,
    driver: str,
    sql: str,
    args: Any,
    error: Exception,
) -> None:
    """Raise ``error`` as SQLAlchemy would have (and invalidate a lost connection)."""
    dialect = connection.dialect
    dbapi: Any = dialect.loaded_dbapi
    translated: BaseException = error
    if driver == "asyncpg":
        try:
            adapter._handle_exception(error)
        except Exception as raised:
            translated = raised
    if not isinstance(translated, dbapi.Error):
        raise error
    lost = dialect.is_disconnect(translated, adapter, None)
    wrapped = sa_exc.DBAPIError.instance(
        sql, args, translated, dbapi.Error, connection_invalidated=lost, dialect=dialect
    )
    if lost:
        await connection.invalidate(translated)
    raise wrapped from error
