"""``lienthong dead-letters list | retry ID | discard ID [--yes]``: an operator's client.

Talks to a running hub (``LIENTHONG_URL``) with an operator token (``LIENTHONG_TOKEN``),
so it works on every bus, the embedded one included (its dead letters live in the hub
process). Reasons are printed in words; ``discard`` loses the message for good, so it
shows the dead letter and asks first unless ``--yes``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import click

from gateway.cli.client import HubClient
from gateway.cli.common import CliContext, one_line, pass_cli, run
from gateway.console.i18n import dead_letter_reason
from gateway.dead_letters import not_found

__all__ = ["command"]


@click.group("dead-letters")
def command() -> None:
    """Messages the bus gave up on: list them, retry or discard one (operators)."""


@command.command("list")
@pass_cli
def list_(ctx: CliContext) -> None:
    """Every dead letter: id, unit, message, why (tab-separated)."""
    for item in run(_items(HubClient.from_config(ctx.config))):
        click.echo(_line(item))


@command.command("retry")
@click.argument("dead_id", metavar="ID")
@pass_cli
def retry(ctx: CliContext, dead_id: str) -> None:
    """Put dead letter ID back on its mailbox queue (audited)."""
    run(_resolve(HubClient.from_config(ctx.config), dead_id, "retry"))
    click.echo(f"retried {dead_id}", err=True)


@command.command("discard")
@click.argument("dead_id", metavar="ID")
@click.option("--yes", is_flag=True, help="Discard without asking (scripts).")
@pass_cli
def discard(ctx: CliContext, dead_id: str, yes: bool) -> None:
    """Drop dead letter ID for good (audited); shows it and asks first unless --yes."""
    client = HubClient.from_config(ctx.config)
    if not yes:
        found = [i for i in run(_items(client)) if i["id"] == dead_id]
        if not found:
            raise not_found(dead_id)
        click.echo(_line(found[0]))
        click.confirm("Discard it for good? It cannot be retried afterwards", abort=True)
    run(_resolve(client, dead_id, "discard"))
    click.echo(f"discarded {dead_id}", err=True)


async def _items(client: HubClient) -> list[dict[str, Any]]:
    body = await client.request("GET", "/api/v1/dead-letters")
    items: list[dict[str, Any]] = body["items"]
    return items


async def _resolve(client: HubClient, dead_id: str, action: str) -> None:
    await client.request("POST", f"/api/v1/dead-letters/{_path(dead_id)}/{action}")


def _path(dead_id: str) -> str:
    return quote(dead_id, safe="")


def _line(item: dict[str, Any]) -> str:
    why = dead_letter_reason("en", item["reason"], item.get("error") or "", item["attempts"])
    cells = (item["id"], item["unit"], item.get("message_id") or "-", why)
    return "\t".join(one_line(str(c)) for c in cells)
