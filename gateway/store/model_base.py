"""What every table is built on: the declarative base with stable constraint names, the
UTC timestamp type, the column types of ids and unit codes, and the Core table of a row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

from sqlalchemy import Date, DateTime, MetaData, String, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

__all__ = ["ID", "NAMING", "UNIT_CODE", "Base", "UTCDateTime", "table", "utcnow"]

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

UNIT_CODE = String(35)
ID = String(36)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the only kind of time the store holds)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable migration names)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), date: Date()}  # noqa: RUF012


def table(row: type[Base]) -> Table:
    """The Core table of a mapped class: statements on it skip the ORM's per-row work
    (bulk-insert bookkeeping, identity map), which costs more CPU than the SQL itself."""
    return cast(Table, row.__table__)
