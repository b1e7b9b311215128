"""Shared fixtures: fresh databases (SQLite and PostgreSQL), one per test.

Every service-backed fixture creates its own resource with a random name and removes it
afterwards, so parallel runs never collide. A missing service is a failure, never a skip.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support.rabbit import add_vhost, delete_vhost_later, wait_for_deletions
from tests.support.services import AMQP_BASE, PG_ADMIN_DSN, amqp_url_for


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


@pytest.fixture
def amqp_url() -> Iterator[str]:
    """An AMQP URL on a fresh RabbitMQ vhost (guest has all rights), deleted after the test."""
    vhost = f"lt_test_{secrets.token_hex(6)}"
    add_vhost(vhost)
    try:
        yield f"{AMQP_BASE}/{vhost}"
    finally:
        delete_vhost_later(vhost)


@pytest.fixture
def tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh LIENTHONG_HOME (outside the repo) with a key passphrase set."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LIENTHONG_HOME", str(home))
    monkeypatch.setenv("LIENTHONG_KEY_PASSPHRASE", "test-passphrase")
    return home


# --- RabbitMQ: a fresh vhost per test module (the bus tests) -----------------------------


@pytest.fixture(scope="module")
def amqp_module_vhost() -> Iterator[str]:
    """A fresh RabbitMQ vhost with a random name shared by one test module, deleted after."""
    name = f"lt_test_{secrets.token_hex(6)}"
    add_vhost(name)
    try:
        yield name
    finally:
        delete_vhost_later(name)


@pytest.fixture(scope="module")
def amqp_module_url(amqp_module_vhost: str) -> str:
    """Like ``amqp_url`` but one vhost per module (tests must use their own unit codes)."""
    return amqp_url_for(amqp_module_vhost)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Wait for the test vhosts still being deleted in the background."""
    wait_for_deletions()
