"""``lienthong units``: the directory of units (add, import CSV, list, show, remove) and
its changes with lineage (rename, move, retire, merge, split, recode, plan apply)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.cli.common import CliContext, one_line, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory import Directory, Unit, changes
from gateway.directory.directory import Change, ImportResult
from gateway.directory.last_seen import MAX_NOT_SEEN_DAYS, not_seen_for
from gateway.directory.lineage import Link, parse_at
from gateway.directory.plan import PlanReport, apply_plan
from gateway.pki.keystore import KeyStore
from gateway.store.models import UnitRow

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

    async def go() -> tuple[Unit, list[Unit], list[str], tuple[list[Link], list[Link]]]:
        async with open_database(cli.config) as db:
            directory = Directory(db)
            unit = await directory.get(code)
            children = await directory.children(code)
            return unit, children, await directory.groups_of(code), await directory.links(code)

    unit, children, groups, (before, after) = run(go())
    seen = _seen(unit)
    click.echo(f"code       {unit.code}")
    click.echo(f"name       {one_line(unit.name)}")
    click.echo(f"parent     {unit.parent or '-'}")
    click.echo(f"children   {', '.join(c.code for c in children) or '-'}")
    click.echo(f"groups     {', '.join(groups) or '-'}")
    click.echo(f"last seen  {seen}")
    click.echo(f"valid      {_time(unit.valid_from, 'always')} .. {_time(unit.valid_until, '')}")
    click.echo(f"before     {_links(before, lambda k: k.predecessor)}")
    click.echo(f"after      {_links(after, lambda k: k.successor)}")


def _time(at: datetime | None, none: str) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if at else none


def _links(links: list[Link], code: Callable[[Link], str]) -> str:
    """``CODE (kind, from TIME)`` per link, or ``-``."""
    parts = [f"{code(k)} ({k.kind}, {_time(k.effective_at, '')})" for k in links]
    return ", ".join(parts) or "-"


_AT = click.option(
    "--at",
    "at",
    default=None,
    metavar="DATETIME",
    help="When the change takes effect, ISO 8601 with offset (default: now).",
)


def _apply(cli: CliContext, at: str | None, make: Callable[[datetime], Change], done: str) -> None:
    """Run one change at ``--at`` against the home's database and say what was done."""
    when = parse_at(at)

    async def go() -> Unit:
        async with open_database(cli.config) as db:
            return await Directory(db).change(make(when), actor="cli")

    run(go())
    later = f" from {_time(when, '')}" if when > datetime.now(UTC) else ""
    click.echo(done + later, err=True)


def _change(
    fn: Callable[..., Awaitable[UnitRow]], *args: object, **kwargs: object
) -> Callable[[datetime], Change]:
    def at(when: datetime) -> Change:
        async def make(session: AsyncSession, actor: str) -> UnitRow:
            return await fn(session, *args, when, actor=actor, **kwargs)

        return make

    return at


def _seen(unit: Unit) -> str:
    """When the unit's endpoint last called the hub (UTC, to the second), or "never"."""
    at = unit.last_seen_at
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if at else "never"


@command.command("rename")
@click.argument("code")
@click.option("--name", required=True, help="The new name.")
@_AT
@pass_cli
def rename(cli: CliContext, code: str, name: str, at: str | None) -> None:
    """Rename the unit CODE, now or at --at."""
    _apply(cli, at, _change(changes.rename, code, name), f"renamed {code}")


@command.command("move")
@click.argument("code")
@click.option("--parent", required=True, help="Code of the new parent ('-': no parent).")
@_AT
@pass_cli
def move(cli: CliContext, code: str, parent: str, at: str | None) -> None:
    """Put the unit CODE under another parent, now or at --at."""
    new = None if parent in ("", "-") else parent
    _apply(cli, at, _change(changes.move, code, new), f"moved {code} under {new or '-'}")


@command.command("retire")
@click.argument("code")
@click.option("--successor", required=True, help="Code of the unit that takes over.")
@_AT
@pass_cli
def retire(cli: CliContext, code: str, successor: str, at: str | None) -> None:
    """Retire the unit CODE: documents to it go to --successor from --at on."""
    _apply(cli, at, _change(changes.retire, code, [successor]), f"retired {code} into {successor}")


@command.command("merge")
@click.argument("codes", nargs=-1, required=True)
@click.option("--into", "into", required=True, help="The surviving (or new) unit's code.")
@click.option("--name", default=None, help="Name of the new unit, when --into is new.")
@click.option("--parent", default=None, help="Parent of the new unit, when --into is new.")
@_AT
@pass_cli
def merge(
    cli: CliContext,
    codes: Sequence[str],
    into: str,
    name: str | None,
    parent: str | None,
    at: str | None,
) -> None:
    """Merge the units CODES into --into (a survivor keeps its code, or a new one is made)."""
    make = _change(changes.merge, list(codes), into, name=name, parent=parent)
    _apply(cli, at, make, f"merged {', '.join(codes)} into {into}")


@command.command("recode")
@click.argument("old")
@click.argument("new")
@_AT
@pass_cli
def recode(cli: CliContext, old: str, new: str, at: str | None) -> None:
    """Give the unit OLD the code NEW (OLD stays an alias that forwards to NEW)."""
    _apply(cli, at, _change(changes.recode, old, new), f"recoded {old} as {new}")


@command.command("split")
@click.argument("code")
@click.option(
    "--into", "into", required=True, multiple=True, help="A unit taking over (repeat, or a,b)."
)
@_AT
@pass_cli
def split(cli: CliContext, code: str, into: Sequence[str], at: str | None) -> None:
    """Split the unit CODE into existing units (documents to it go to the first)."""
    codes = [c.strip() for part in into for c in part.split(",") if c.strip()]
    _apply(cli, at, _change(changes.split, code, codes), f"split {code} into {', '.join(codes)}")


@command.group("plan")
def plan() -> None:
    """A restructuring plan applied as one act."""


@plan.command("apply")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and print the plan; change nothing.")
@pass_cli
def plan_apply(cli: CliContext, plan_file: Path, dry_run: bool) -> None:
    """Apply PLAN.csv (action,code,new_code,name,parent,successor,effective_at) in one
    transaction, or refuse it whole with every problem listed (directory.plan_refused)."""
    text = plan_file.read_text(encoding="utf-8-sig")

    async def go() -> PlanReport:
        async with open_database(cli.config) as db:
            return await apply_plan(db, text, dry_run=dry_run, actor="cli")

    report = run(go())
    for step in report.steps:
        click.echo(step)
    _credentials(cli, report)
    verb = "would touch" if dry_run else "applied"
    click.echo(f"{plan_file.name}: {verb} {report.summary()}", err=True)


def _credentials(cli: CliContext, report: PlanReport) -> None:
    """Count, and list, the certificates and adapter registrations of retiring units
    (refused from the instant, like their tokens)."""
    keys = KeyStore(cli.config)
    retiring = set(report.retiring)
    for code in report.retiring:
        certificates = len(keys.certificates(code))
        if certificates:
            report.touched["certificates stopping"] += certificates
    for adapter in cli.config.adapters:
        if adapter.unit in retiring:
            report.touched["adapter registrations stopping"] += 1
            click.echo(f"adapter {adapter.name} of {adapter.unit} stops with its unit")
