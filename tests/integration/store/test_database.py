"""The database wrapper: migrations, SQLite durability settings, unavailability."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from gateway.errors import StoreUnavailable
from gateway.store.db import Database
from gateway.store.models import Base
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration


def _diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_match_the_models(db: Any) -> None:
    """After upgrade the schema equals the models (no autogenerate diff); upgrade is repeatable."""
    await db.upgrade()
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_diff) == []
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    assert version == "0001"
    assert await db.ping() is True


async def test_sqlite_is_durable_and_strict(sqlite_url: str) -> None:
    """SQLite runs in WAL with synchronous=FULL, foreign keys and a busy timeout."""
    db = Database(sqlite_url)
    try:
        async with db.session() as session:
            values = [
                (await session.execute(text(f"PRAGMA {p}"))).scalar_one()
                for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
    finally:
        await db.dispose()
    assert values == ["wal", 2, 1, 30000]


async def test_unreachable_database_is_store_unavailable() -> None:
    """No server at the address: sessions raise store.unavailable, ping is False."""
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        assert await db.ping() is False
        with pytest.raises(StoreUnavailable) as info:
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        assert info.value.code == "store.unavailable" and info.value.http_status == 503
    finally:
        await db.dispose()


async def test_recovers_after_the_connection_is_cut(pg_url: str) -> None:
    """A cut connection gives store.unavailable, then works again without a restart."""
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    db = Database(pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    try:
        await db.upgrade()
        assert await db.ping()
        proxy.down()
        with pytest.raises(StoreUnavailable):
            async with db.session() as session:
                await session.execute(text("SELECT 1"))
        proxy.resume()
        async with db.session() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await db.dispose()
        await proxy.close()
