"""``lienthong db upgrade``: run the Alembic migrations on the configured database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.config import Config
from gateway.store.db import Database

__all__ = ["command", "open_database"]


@asynccontextmanager
async def open_database(config: Config) -> AsyncIterator[Database]:
    """The configured database, migrated to the newest schema, disposed on exit."""
    db = Database(config.database_url)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()


@click.group("db")
def command() -> None:
    """The database (migrations)."""


@command.command("upgrade")
@pass_cli
def upgrade(cli: CliContext) -> None:
    """Migrate the database to the newest schema (safe to run again)."""

    async def go() -> None:
        async with open_database(cli.config):
            pass

    run(go())
    click.echo("database is up to date", err=True)
