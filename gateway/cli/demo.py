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

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator, Callable
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
@pass_cli
def command(
    cli: CliContext,
    documents: int,
    amqp: str | None,
    db: str | None,
    direct: bool,
    seed: int,
    timeout: float,
) -> None:
    """A province, its districts and communes exchanging documents; a summary table."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with _home(cli.home) as home:
        config = _demo_config(home, cli.config_file, amqp, db)
        result = run(run_demo(config, documents, direct=direct, seed=seed, timeout=timeout))
    if not result.ok:
        raise SystemExit(1)


@contextlib.contextmanager
def _home(home: str | None) -> contextlib.AbstractContextManager[Path] | object:  # type: ignore[misc]
    if home:
        yield Path(home).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="lienthong-demo-") as tmp:
        yield Path(tmp)
