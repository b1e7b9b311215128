"""``lienthong units``: the directory of units (add, import CSV, list, show, remove)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import click

from gateway.cli.common import CliContext, one_line, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory import Directory, Unit
from gateway.directory.directory import ImportResult
from gateway.directory.last_seen import MAX_NOT_SEEN_DAYS, not_seen_for

__all__ = ["command"]


@click.group("units")
def command() -> None:
    """Units of the directory and their tree."""


@command.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The unit's name.")
@click.option("--parent", default=None, help="Code of the parent unit.")
@pass_cli
def add(cli: CliContext, code: str, name: str, parent: str | None) -> None:
    """Add the unit CODE (under --parent, at any depth)."""

    async def go() -> Unit:
        async with open_database(cli.config) as db:
            return await Directory(db).add(code, name, parent, actor="cli")

    unit = run(go())
    click.echo(f"added {unit.code}", err=True)


@command.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def import_(cli: CliContext, csv_file: Path) -> None:
    """Add or update every unit of a CSV (code,name,parent; header optional), all or
    nothing: new codes are added, known ones take the file's name and parent."""
    text = csv_file.read_text(encoding="utf-8-sig")

    async def go() -> ImportResult:
        async with open_database(cli.config) as db:
            return await Directory(db).import_csv(text, actor="cli")

    done = run(go())
    click.echo(
        f"imported {csv_file.name}: {done.created} created, {done.updated} updated, "
        f"{done.unchanged} unchanged",
        err=True,
    )


@command.command("list")
@click.option(
    "--not-seen-days",
    type=click.IntRange(0, MAX_NOT_SEEN_DAYS),
    default=None,
    metavar="N",
    help="Only units never seen, or last seen N days ago or longer.",
)
@pass_cli
def list_(cli: CliContext, not_seen_days: int | None) -> None:
    """Every unit: code, parent, name, last seen (tab-separated; UTC)."""

    async def go() -> list[Unit]:
        async with open_database(cli.config) as db:
            return await Directory(db).list()

    for unit in run(go()):
        if not_seen_days is None or not_seen_for(not_seen_days, unit.last_seen_at):
            seen = _seen(unit)
            click.echo(f"{unit.code}\t{unit.parent or '-'}\t{one_line(unit.name)}\t{seen}")


@command.command("remove")
@click.argument("code")
@pass_cli
def remove(cli: CliContext, code: str) -> None:
    """Remove the unit CODE, if it never sent or received anything (a typo, a test).

    Refused with directory.unit_in_use when it has traffic, children, groups or a token
    that is not revoked."""

    async def go() -> None:
        async with open_database(cli.config) as db:
            await Directory(db).remove(code, actor="cli")

    run(go())
    click.echo(f"removed {code}", err=True)


@command.command("show")
@click.argument("code")
@pass_cli
def show(cli: CliContext, code: str) -> None:
    """One unit: name, parent, children, groups, last seen."""

    async def go() -> tuple[Unit, list[Unit], list[str]]:
        async with open_database(cli.config) as db:
            directory = Directory(db)
            unit = await directory.get(code)
            return unit, await directory.children(code), await directory.groups_of(code)

    unit, children, groups = run(go())
    seen = _seen(unit)
    click.echo(f"code       {unit.code}")
    click.echo(f"name       {one_line(unit.name)}")
    click.echo(f"parent     {unit.parent or '-'}")
    click.echo(f"children   {', '.join(c.code for c in children) or '-'}")
    click.echo(f"groups     {', '.join(groups) or '-'}")
    click.echo(f"last seen  {seen}")


def _seen(unit: Unit) -> str:
    """When the unit's endpoint last called the hub (UTC, to the second), or "never"."""
    at = unit.last_seen_at
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if at else "never"
