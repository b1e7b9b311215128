"""``lienthong tokens``: API bearer tokens for units and operators."""

from __future__ import annotations

import click

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory import Directory
from gateway.directory.tokens import TokenInfo

__all__ = ["command"]


@click.group("tokens")
def command() -> None:
    """API credentials (stored hashed; shown once)."""


@command.command("create")
@click.argument("unit", required=False)
@click.option("--operator", default=None, help="Create an operator token with this name.")
@click.option(
    "--scope",
    default=None,
    metavar="CODE",
    help="Limit the operator to this unit and the units below it (a leader).",
)
@pass_cli
def create(cli: CliContext, unit: str | None, operator: str | None, scope: str | None) -> None:
    """A token for UNIT, or for an operator (with --scope: a leader who sees one unit's
    subtree only): printed alone on stdout, never again."""
    if (unit is None) == (operator is None):
        raise click.UsageError("give a UNIT or --operator NAME (not both)")
    if scope is not None and operator is None:
        raise click.UsageError("--scope is for an --operator token")

    async def go() -> str:
        async with open_database(cli.config) as db:
            directory = Directory(db)
            return await directory.create_token(
                unit=unit, operator=operator, actor="cli", scope=scope
            )

    click.echo(run(go()))


@command.command("revoke")
@click.argument("token_or_id")
@pass_cli
def revoke(cli: CliContext, token_or_id: str) -> None:
    """Revoke a token, given the token itself or its id."""

    async def go() -> str:
        async with open_database(cli.config) as db:
            return await Directory(db).revoke_token(token_or_id, actor="cli")

    click.echo(f"revoked {run(go())}", err=True)


@command.command("list")
@pass_cli
def list_(cli: CliContext) -> None:
    """Token ids, owners and state (never the tokens)."""

    async def go() -> list[TokenInfo]:
        async with open_database(cli.config) as db:
            return await Directory(db).list_tokens()

    for t in run(go()):
        owner = f"unit:{t.unit}" if t.unit else f"operator:{t.operator}"
        owner += f"@{t.scope}" if t.scope else ""
        state = f"revoked {t.revoked_at.isoformat()}" if t.revoked_at else "active"
        click.echo(f"{t.id}\t{owner}\t{t.created_at.isoformat()}\t{state}")
