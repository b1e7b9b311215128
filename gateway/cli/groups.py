"""``lienthong groups``: groups of units a message can be addressed to (add, list, show, remove).

A group is ``explicit`` (listed units), ``children`` (every direct child of a unit, as the
tree is when a message is sent) or ``descendants`` (every unit below one, or only those
exactly ``--depth`` levels below).
"""

from __future__ import annotations

import click

from gateway.cli.common import CliContext, one_line, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory import Directory
from gateway.directory.directory import Group

__all__ = ["command"]


@click.group("groups")
def command() -> None:
    """Groups of units (explicit lists, children or descendants of a unit)."""


@command.command("add")
@click.argument("code")
@click.option("--name", default=None, help="The group's name (default: its code).")
@click.option(
    "--members", default=None, metavar="CODE,CODE…", help="An explicit group of these units."
)
@click.option("--children-of", default=None, metavar="UNIT", help="Every direct child of UNIT.")
@click.option("--descendants-of", default=None, metavar="UNIT", help="Every unit below UNIT.")
@click.option(
    "--depth",
    type=click.IntRange(min=1),
    default=None,
    help="With --descendants-of: only units exactly this many levels below.",
)
@pass_cli
def add(
    cli: CliContext,
    code: str,
    name: str | None,
    members: str | None,
    children_of: str | None,
    descendants_of: str | None,
    depth: int | None,
) -> None:
    """Add the group CODE: give exactly one of --members, --children-of, --descendants-of."""
    kinds = [k for k in (members, children_of, descendants_of) if k is not None]
    if len(kinds) != 1:
        raise click.UsageError("give exactly one of --members, --children-of, --descendants-of")
    if depth is not None and descendants_of is None:
        raise click.UsageError("--depth goes with --descendants-of")

    async def go() -> Group:
        async with open_database(cli.config) as db:
            directory = Directory(db)
            if members is not None:
                units = [m.strip() for m in members.split(",") if m.strip()]
                return await directory.add_group(code, units, name, actor="cli")
            if children_of is not None:
                return await directory.add_children_group(code, children_of, name, actor="cli")
            assert descendants_of is not None
            return await directory.add_descendants_group(
                code, descendants_of, depth, name, actor="cli"
            )

    group = run(go())
    click.echo(f"added group {group.code} ({group.kind})", err=True)


@command.command("list")
@pass_cli
def list_(cli: CliContext) -> None:
    """Every group: code, kind, members now, name (tab-separated)."""

    async def go() -> list[Group]:
        async with open_database(cli.config) as db:
            return await Directory(db).groups()

    for group in run(go()):
        click.echo(f"{group.code}\t{_kind(group)}\t{len(group.members)}\t{one_line(group.name)}")


@command.command("show")
@click.argument("code")
@pass_cli
def show(cli: CliContext, code: str) -> None:
    """One group: name, kind and its members as of now."""

    async def go() -> Group:
        async with open_database(cli.config) as db:
            return await Directory(db).group(code)

    group = run(go())
    click.echo(f"code     {group.code}")
    click.echo(f"name     {one_line(group.name)}")
    click.echo(f"kind     {_kind(group)}")
    click.echo(f"members  {', '.join(group.members) or '-'}")


@command.command("remove")
@click.argument("code")
@pass_cli
def remove(cli: CliContext, code: str) -> None:
    """Remove the group CODE (messages already sent to it keep their recipients)."""

    async def go() -> None:
        async with open_database(cli.config) as db:
            await Directory(db).remove_group(code, actor="cli")

    run(go())
    click.echo(f"removed group {code}", err=True)


def _kind(group: Group) -> str:
    if group.kind == "explicit":
        return "explicit"
    below = f" (depth {group.depth})" if group.kind == "descendants" and group.depth else ""
    return f"{group.kind} of {group.parent}{below}"
