"""``lienthong audit verify``: check the hash chain of the audit log."""

from __future__ import annotations

import sys

import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.db import open_database
from gateway.store import audit

__all__ = ["command"]


@click.group("audit")
def command() -> None:
    """The append-only audit log."""


@command.command("verify")
@pass_cli
def verify(cli: CliContext) -> None:
    """Exit 0 with "ok N entries", or 1 naming the first broken entry."""

    async def go() -> audit.AuditReport:
        async with open_database(cli.config) as db:
            return await audit.verify(db)

    report = run(go())
    if report.ok:
        click.echo(f"ok {report.entries} entries")
        return
    click.echo(f"audit.broken: entry seq {report.first_broken_seq}: {report.reason}", err=True)
    sys.exit(1)
