"""Prebuilt statements on the driver: the rows, types, errors and transactions of SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from gateway.errors import StoreUnavailable
from gateway.store.db import Database, execute
from gateway.store.models import UnitRow, table
from gateway.store.prepared import Prepared, driver_of, insert_of

pytestmark = pytest.mark.integration

_UNITS = table(UnitRow)
_INSERT = insert_of(_UNITS, ["code", "name", "parent_code", "created_at"])
_SELECT = select(_UNITS.c.code, _UNITS.c.name, _UNITS.c.created_at, _UNITS.c.last_seen_at).where(
    _UNITS.c.code == bindparam("code")
)
_ONE = Prepared(_SELECT)
_SEEN = Prepared(
    update(_UNITS).where(_UNITS.c.code == bindparam("code")).values(last_seen_at=bindparam("at"))
)
_AT = datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC)


def _unit(code: str) -> dict[str, Any]:
    return {"code": code, "name": f"Hội Nông dân {code}", "parent_code": None, "created_at": _AT}


async def test_rows_and_types_match_sqlalchemy(db: Database) -> None:
    """A prepared read gives the rows the SQLAlchemy path gives: names, text, aware datetimes."""
    async with db.session(write=True) as session:
        await execute(session, _INSERT, [_unit("000.00.01.H01"), _unit("000.00.02.H01")])
        result = await execute(session, _SEEN, {"code": "000.00.01.H01", "at": _AT})
        assert result.rowcount == 1
    async with db.read() as session:
        fast = (await execute(session, _ONE, {"code": "000.00.01.H01"})).first()
        slow = (await session.execute(_SELECT, {"code": "000.00.01.H01"})).first()
        missing = (await execute(session, _ONE, {"code": "000.00.09.H01"})).all()
    assert slow is not None and tuple(fast) == tuple(slow)
    assert fast.name == "Hội Nông dân 000.00.01.H01"
    assert fast.created_at == _AT and fast.created_at.tzinfo is not None
    assert fast.last_seen_at == _AT
    assert missing == []


async def test_many_parameter_sets_run_in_one_call(db: Database) -> None:
    """A list of parameter sets updates every row it names, inside the transaction."""
    codes = [f"000.00.{i:02d}.H02" for i in range(1, 6)]
    async with db.session(write=True) as session:
        await execute(session, _INSERT, [_unit(c) for c in codes])
        later = _AT + timedelta(hours=1)
        await execute(session, _SEEN, [{"code": c, "at": later} for c in codes[:3]])
    async with db.read() as session:
        seen = [(await execute(session, _ONE, {"code": c})).first().last_seen_at for c in codes]
    assert seen == [later, later, later, None, None]


async def test_a_driver_error_is_sqlalchemys_and_rolls_back(db: Database) -> None:
    """A duplicate key raises SQLAlchemy's IntegrityError and the transaction keeps nothing."""
    with pytest.raises(IntegrityError):
        async with db.session(write=True) as session:
            await execute(session, _INSERT, _unit("000.00.01.H03"))
            await execute(session, _INSERT, _unit("000.00.01.H03"))
    async with db.read() as session:
        assert (await execute(session, _ONE, {"code": "000.00.01.H03"})).first() is None
    async with db.session(write=True) as session:  # the pooled connection is usable again
        await execute(session, _INSERT, _unit("000.00.01.H03"))


async def test_a_plain_session_is_one_transaction(db: Database) -> None:
    """A prepared write as the first statement of a non-write session still rolls back."""
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await execute(session, _INSERT, _unit("000.00.01.H04"))
            raise RuntimeError("the block fails after the insert")
    async with db.read() as session:
        assert (await execute(session, _ONE, {"code": "000.00.01.H04"})).first() is None


def test_expanding_parameters_are_refused(db_url: str) -> None:
    """An IN list cannot be compiled once: preparing it fails at once, not at run time."""
    statement = Prepared(
        select(_UNITS.c.code).where(_UNITS.c.code.in_(bindparam("codes", expanding=True)))
    )
    with pytest.raises(ValueError, match="expanding"):
        statement.plan(Database(db_url).engine.dialect)


async def test_both_databases_take_the_driver_path(db: Database) -> None:
    """The hub's own SQLite driver and asyncpg are both run directly (no silent fallback)."""
    async with db.read() as session:
        connection = await session.connection()
        adapter = (await connection.get_raw_connection()).dbapi_connection
    assert driver_of(adapter) == ("sqlite" if db.is_sqlite else "asyncpg")


async def test_a_single_read_needs_no_session(db: Database) -> None:
    """``Database.query`` runs one prepared read on a reader connection: committed rows."""
    async with db.session(write=True) as session:
        await execute(session, _INSERT, _unit("000.00.01.H05"))
    found = (await db.query(_ONE, {"code": "000.00.01.H05"})).first()
    assert found.code == "000.00.01.H05" and found.created_at == _AT
    assert (await db.query(_ONE, {"code": "000.00.09.H05"})).all() == []


async def test_a_single_read_of_an_unreachable_database_is_unavailable() -> None:
    """No server behind the URL: ``store.unavailable``, not a driver error."""
    db = Database("postgresql://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(StoreUnavailable):
            await db.query(_ONE, {"code": "000.00.01.H05"})
    finally:
        await db.dispose()


async def test_a_missing_parameter_is_refused_not_null(db: Database) -> None:
    """A row without one of the statement's columns fails before it reaches the database."""
    row = _unit("000.00.01.H06")
    del row["name"]
    with pytest.raises(ValueError, match="name"):
        async with db.session(write=True) as session:
            await execute(session, _INSERT, row)
    assert (await db.query(_ONE, {"code": "000.00.01.H06"})).first() is None
