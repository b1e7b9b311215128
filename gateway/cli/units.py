"""``lienthong units``: the directory of units (add, import CSV, list, show)."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory import Directory, Unit

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
    """Add every unit of a CSV (code,name,parent; header optional), all or nothing."""
    text = csv_file.read_text(encoding="utf-8-sig")

    async def go() -> int:
        async with open_database(cli.config) as db:
            return await Directory(db).import_csv(text, actor="cli")

    click.echo(f"imported {run(go())} units", err=True)


@command.command("list")
@pass_cli
def list_(cli: CliContext) -> None:
    """Every unit: code, parent, name (tab-separated)."""

    async def go() -> list[Unit]:
        async with open_database(cli.config) as db:
            return await Directory(db).list()

    for unit in run(go()):
        click.echo(f"{unit.code}\t{unit.parent or '-'}\t{_safe(unit.name)}")


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
    seen = unit.last_seen_at.isoformat() if unit.last_seen_at else "never"
    click.echo(f"code       {unit.code}")
    click.echo(f"name       {_safe(unit.name)}")
    click.echo(f"parent     {unit.parent or '-'}")
    click.echo(f"children   {', '.join(c.code for c in children) or '-'}")
    click.echo(f"groups     {', '.join(groups) or '-'}")
    click.echo(f"last seen  {seen}")


def _safe(text: str) -> str:
    """Names come from CSV files: keep them on one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")
