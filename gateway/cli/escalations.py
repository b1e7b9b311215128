"""``lienthong escalations list [--state S] [--json] | resolve ID --sent|--resend``.

An operator's client for the escalation sends (``gateway.deadlines.unknown_sends``): it
talks to a running hub (``LIENTHONG_URL``) with a whole-hub operator token
(``LIENTHONG_TOKEN``). A send left ``unknown`` (its process stopped while sending) is
found by its id in the mail server's log (``Message-ID: <escalation.ID@…>``) or the
webhook receiver's (``X-Lienthong-Event``), then resolved: ``--sent`` when it arrived,
``--resend`` when it did not (the hub sends it once more).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import click

from gateway.cli.client import HubClient
from gateway.cli.common import CliContext, one_line, pass_cli, run
from gateway.deadlines.unknown_sends import STATES

__all__ = ["command"]


@click.group("escalations")
def command() -> None:
    """Overdue notices sent by webhook and mail: list them, resolve an unknown one."""


@command.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only sends in this state.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array (scripts).")
@pass_cli
def list_(ctx: CliContext, state: str | None, as_json: bool) -> None:
    """The newest sends: id, message, recipient, level, channel, target, state, claimed
    time (tab-separated)."""
    items = run(_items(HubClient.from_config(ctx.config), state))
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for item in items:
        click.echo(_line(item))


@command.command("resolve")
@click.argument("send_id", metavar="ID")
@click.option("--sent", "action", flag_value="sent", help="It arrived: mark it sent.")
@click.option("--resend", "action", flag_value="resend", help="It did not: send it once more.")
@pass_cli
def resolve(ctx: CliContext, send_id: str, action: str | None) -> None:
    """Resolve the unknown send ID (audited with the token's operator)."""
    if action is None:
        raise click.UsageError("say --sent (it arrived) or --resend (it did not)")
    item = run(_resolve(HubClient.from_config(ctx.config), send_id, action))
    click.echo(_line(item))
    click.echo(f"{'marked sent' if action == 'sent' else 'resent'}: {send_id}", err=True)


async def _items(client: HubClient, state: str | None) -> list[dict[str, Any]]:
    query = f"?{urlencode({'state': state})}" if state else ""
    body = await client.request("GET", f"/api/v1/escalations{query}")
    items: list[dict[str, Any]] = body["items"]
    return items


async def _resolve(client: HubClient, send_id: str, action: str) -> dict[str, Any]:
    path = f"/api/v1/escalations/{quote(send_id, safe='')}/resolve"
    item: dict[str, Any] = await client.request("POST", path, json={"action": action})
    return item


def _line(item: dict[str, Any]) -> str:
    keys = ("id", "message_id", "recipient", "level", "channel", "target", "state")
    cells = [str(item.get(k) or "-") for k in keys] + [str(item["claimed_at"])]
    return "\t".join(one_line(c) for c in cells)
