"""Shared fixtures: fresh databases (SQLite and PostgreSQL), one per test.

Every service-backed fixture creates its own resource with a random name and removes it
afterwards, so parallel runs never collide. A missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

PG_ADMIN_DSN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLAlchemy URL for a fresh SQLite file in the test's tmp dir."""
    return f"sqlite+aiosqlite:///{tmp_path / 'lienthong-test.db'}"


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A SQLAlchemy URL for a fresh PostgreSQL database, dropped after the test."""
    name = f"lt_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    yield request.getfixturevalue(name)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Any]:
    """A migrated :class:`gateway.store.db.Database` on ``db_url`` (both databases)."""
    from gateway.store.db import Database

    database = Database(db_url)
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()
