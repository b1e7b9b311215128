"""``lienthong users``: clerks' own accounts for the web mailbox (add, disable, enable, list).

A clerk logs in to ``/mailbox`` with a username and a password instead of the unit's
token, and what they do there is written to the audit log under their name. The password
is read from a prompt (typed twice) or, for scripts, from standard input
(``--password-stdin``); it is never an argument.
"""

from __future__ import annotations

import json
import sys

import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory.people import People, Person

__all__ = ["command"]


@click.group("users")
def command() -> None:
    """Clerks' accounts of a unit (username and password for the web mailbox)."""


@command.command("add")
@click.argument("unit")
@click.argument("username")
@click.option("--name", "full_name", default=None, help="The person's full name.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input's first line."
)
@pass_cli
def add(
    cli: CliContext, unit: str, username: str, full_name: str | None, password_stdin: bool
) -> None:
    """Add the account USERNAME of UNIT (a password of at least 10 characters)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)

    async def go() -> Person:
        async with open_database(cli.config) as db:
            return await People(db).add(unit, username, password, full_name=full_name, actor="cli")

    person = run(go())
    click.echo(f"added {person.username} ({person.unit})", err=True)


@command.command("disable")
@click.argument("username")
@pass_cli
def disable(cli: CliContext, username: str) -> None:
    """Disable USERNAME: no more logins, and its open sessions end."""

    async def go() -> Person:
        async with open_database(cli.config) as db:
            return await People(db).disable(username, actor="cli")

    click.echo(f"disabled {run(go()).username}", err=True)


@command.command("enable")
@click.argument("username")
@pass_cli
def enable(cli: CliContext, username: str) -> None:
    """Enable USERNAME again (this also lifts a lock after wrong passwords)."""

    async def go() -> Person:
        async with open_database(cli.config) as db:
            return await People(db).enable(username, actor="cli")

    click.echo(f"enabled {run(go()).username}", err=True)


@command.command("list")
@click.option("--unit", default=None, help="Only the accounts of this unit.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@pass_cli
def list_(cli: CliContext, unit: str | None, as_json: bool) -> None:
    """Every account: username, unit, state, name."""

    async def go() -> list[Person]:
        async with open_database(cli.config) as db:
            return await People(db).list(unit)

    people = run(go())
    if as_json:
        click.echo(json.dumps([p.to_json() for p in people], ensure_ascii=False))
        return
    for p in people:
        state = "disabled" if p.disabled else "locked" if p.locked() else "active"
        click.echo(f"{p.username}\t{p.unit}\t{state}\t{p.full_name or ''}")
