"""``lienthong demo``: the embedded default end to end, checked.

A province office, 11 districts and 152 communes (with the groups "communes of district
X" and "all communes") exchange documents through a hub started in this process: the
units are real HTTP clients of the hub's API on a free port (``--direct`` calls the
facade instead). Recipients answer 01 → 03 → 04 → 05 → 06 (some 02 rejected), senders
collect the receipts, and the demo checks that every delivery reached its final status
exactly once. Exit 0 only then.

``--amqp URL --db URL`` runs the same against RabbitMQ and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import click
import structlog
from aiohttp import web
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.demo_clients import DemoClient, DirectClient, HttpClient
from gateway.cli.demo_data import DemoProvince, build_province
from gateway.cli.demo_restructure import restructure
from gateway.cli.demo_run import DemoResult, DemoRun, plan_documents
from gateway.config import Config, load_config
from gateway.hub import Hub

__all__ = ["command", "prepare_directory", "run_demo"]

_STATUS_NAMES = {
    "01": "received",
    "02": "rejected",
    "03": "accepted",
    "04": "assigned",
    "05": "processing",
    "06": "completed",
}


@click.command("demo")
@click.option("--documents", "-n", default=30, show_default=True, help="Documents to send.")
@click.option("--amqp", default=None, help="RabbitMQ URL (default: the local bus).")
@click.option("--db", default=None, help="Database URL (default: SQLite in the home).")
@click.option("--direct", is_flag=True, help="Call the hub facade instead of HTTP.")
@click.option("--seed", default=7, show_default=True, help="Seed of the document mix.")
@click.option("--timeout", default=180.0, show_default=True, help="Give up after seconds.")
@click.option(
    "--restructure/--no-restructure",
    default=True,
    show_default=True,
    help="Then apply the An Giang-shaped restructuring plan and show where mail goes.",
)
@pass_cli
def command(
    cli: CliContext,
    documents: int,
    amqp: str | None,
    db: str | None,
    direct: bool,
    seed: int,
    timeout: float,
    restructure: bool,
) -> None:
    """A province, its districts and communes exchanging documents; a summary table."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with _home(cli.home) as home:
        config = _demo_config(home, cli.config_file, amqp, db)
        demo = run_demo(
            config, documents, direct=direct, seed=seed, timeout=timeout, restructuring=restructure
        )
        result = run(demo)
    if not result.ok:
        raise SystemExit(1)


@contextlib.contextmanager
def _home(home: str | None) -> Iterator[Path]:
    if home:
        yield Path(home).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="lienthong-demo-") as tmp:
        yield Path(tmp)


def _demo_config(home: Path, config_file: str | None, amqp: str | None, db: str | None) -> Config:
    """The embedded default in ``home`` (fast ECDSA keys), with the chosen db and bus."""
    config = load_config(home, config_file)
    hub = replace(config.hub, listen="127.0.0.1:0")
    keys = replace(config.keys, key_type="ecdsa-p256")
    config = replace(config, hub=hub, keys=keys)
    if amqp:
        config = replace(config, bus=replace(config.bus, url=amqp))
    if db:
        config = replace(config, database=replace(config.database, url=db))
    return config


async def prepare_directory(hub: Hub, province: DemoProvince) -> dict[str, str]:
    """Units, groups and one token per unit (kept if the home already has them)."""
    directory = hub.directory
    if not await directory.exists(province.province.code):
        await directory.import_csv(_units_csv(province), actor="demo")
        for group, district in province.district_groups.items():
            await directory.add_children_group(group, district, f"Các xã của {district}")
        await directory.add_descendants_group(
            province.all_communes_group, province.province.code, 2, "Tất cả các xã"
        )
    tokens = {}
    for unit in province.units:
        tokens[unit.code] = await directory.create_token(unit.code, actor="demo")
    return tokens


def _units_csv(province: DemoProvince) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "name", "parent"])
    writer.writerows([u.code, u.name, u.parent or ""] for u in province.units)
    return out.getvalue()


@contextlib.asynccontextmanager
async def _http(hub: Hub, direct: bool) -> AsyncIterator[str | None]:
    """The hub's HTTP API on a free port (None with ``--direct``)."""
    if direct:
        yield None
        return
    from gateway.api.app import build_app
    from gateway.api.protocol_errors import answer_in_json

    runner = web.AppRunner(build_app(hub), access_log=None)
    await runner.setup()
    answer_in_json(runner)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def run_demo(
    config: Config,
    documents: int,
    *,
    direct: bool = False,
    seed: int = 7,
    timeout: float = 180.0,  # noqa: ASYNC109 (handed to the run, not awaited here)
    console: Console | None = None,
    restructuring: bool = True,
) -> DemoResult:
    """Set up, run, check and print; the result."""
    out = console or Console()
    province = build_province()
    plan = plan_documents(province, documents, seed)
    hub = Hub(config)
    await hub.start()
    try:
        tokens = await prepare_directory(hub, province)
        await hub.consumers.sync()
        async with _http(hub, direct) as base, _session() as session:
            clients = _clients(hub, tokens, base, session)
            with _progress(out) as (progress, advance):
                deliveries = sum(len(d.recipients) for d in plan)
                progress.add_task("documents sent", total=len(plan), key="sent")
                progress.add_task("deliveries answered", total=deliveries, key="answered")
                progress.add_task("receipts back", total=None, key="receipts")
                demo = DemoRun(clients, plan, on_progress=advance, timeout=timeout)
                result = await demo.run()
        changed = await restructure(hub, province) if restructuring else None
    finally:
        await hub.stop()
    out.print(_summary(result, len(province.units), demo.expected_receipts, config, base))
    if changed is not None:
        out.print(changed[0])
        result.errors.extend(changed[1])
    return result


@contextlib.asynccontextmanager
async def _session() -> AsyncIterator[aiohttp.ClientSession]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session


def _clients(
    hub: Hub, tokens: dict[str, str], base: str | None, session: aiohttp.ClientSession
) -> dict[str, DemoClient]:
    if base is None:
        return {unit: DirectClient(hub, unit) for unit in tokens}
    return {unit: HttpClient(session, base, unit, token) for unit, token in tokens.items()}


@contextlib.contextmanager
def _progress(out: Console) -> Iterator[tuple[Progress, Callable[[str, int], None]]]:
    progress = Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    )

    def advance(key: str, n: int) -> None:
        for task in progress.tasks:
            if task.fields.get("key") == key:
                progress.advance(task.id, n)

    with progress:
        yield progress, advance


def _summary(
    result: DemoResult, units: int, expected_receipts: int, config: Config, base: str | None
) -> Table:
    table = Table(title="Lienthong demo", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    elapsed = max(result.elapsed, 1e-9)
    rows = [
        ("database", config.database_url.split("://")[0]),
        ("bus", config.bus.url.split("://")[0]),
        ("transport", "HTTP " + base if base else "in-process facade"),
        ("units", str(units)),
        ("documents sent", str(result.sent)),
        ("deliveries", str(result.deliveries)),
        ("delivered (fetched)", str(result.fetched)),
        *(
            (f"receipts {code} {name}", str(result.posted[code]))
            for code, name in _STATUS_NAMES.items()
        ),
        ("receipts back at senders", f"{result.receipts_back} / {expected_receipts}"),
        ("duplicates", str(result.duplicate_items)),
        ("lost or unfinished", str(result.lost)),
        ("wrong timelines", str(result.wrong)),
        ("elapsed", f"{result.elapsed:.1f} s"),
        ("docs/s", f"{result.sent / elapsed:.1f}"),
        ("deliveries/s", f"{result.fetched / elapsed:.1f}"),
        ("result", "OK" if result.ok else "FAILED " + "; ".join(result.errors)),
    ]
    for what, value in rows:
        table.add_row(what, value)
    return table
