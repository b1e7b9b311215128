"""``lienthong report monthly``: a scope's month as an XLSX file to hand on."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.db import open_database
from gateway.console.monthly import month_bounds, monthly_report
from gateway.directory import Directory
from gateway.directory.principal import Principal
from gateway.directory.scope import subtree
from gateway.hub import Hub
from gateway.pipeline.states import RULES
from gateway.store import Database, MessageStore

__all__ = ["command"]


class ReportDesk(Hub):
    """The hub's console reads over a database the CLI opened, without a bus, relay or
    keys: the monthly report runs the console's own code (units, scope, deliveries), as
    the hub would, on a hub that need not be running. Only those reads are used."""

    def __init__(self, db: Database, directory: Directory) -> None:  # parts it reads
        self.db, self.directory = db, directory
        self.messages = MessageStore(db, rules=RULES)


@click.group("report")
def command() -> None:
    """Reports to hand on (XLSX, PDF)."""


@command.command("monthly")
@click.option(
    "--scope",
    "scope",
    default=None,
    metavar="CODE",
    help="A unit and those below it (default: every unit).",
)
@click.option(
    "--month",
    required=True,
    metavar="YYYY-MM",
    help="The month of the documents sent, in Vietnam's time.",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The XLSX file to write.",
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default="vi",
    show_default=True,
    help="Language of the report's labels.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "pdf"]),
    default=None,
    help="Default: from the file name (.pdf), else xlsx.",
)
@pass_cli
def monthly(
    cli: CliContext, scope: str | None, month: str, output: Path, lang: str, fmt: str | None
) -> None:
    """The month's documents sent and received, handled in time, overdue by unit, median
    times to 01 and 06, and the overdue documents, for SCOPE's subtree (XLSX or PDF)."""
    fmt = fmt or ("pdf" if output.suffix.lower() == ".pdf" else "xlsx")
    month_bounds(month)  # a bad month is refused before the database is opened

    async def go() -> bytes:
        async with open_database(cli.config) as db:
            directory = Directory(db)
            p = Principal(operator="report")
            if scope is not None:
                await directory.get(scope)  # directory.unknown_unit
                async with db.read() as session:
                    within = await subtree(session, scope)
                p = Principal(operator="report", scope=scope, within=within)
            hub = ReportDesk(db, directory)
            return (await monthly_report(hub, p, scope, month, lang, fmt=fmt)).body

    body = run(go())
    output.write_bytes(body)
    click.echo(f"wrote {output} ({len(body)} bytes)", err=True)
