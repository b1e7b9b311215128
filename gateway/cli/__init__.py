"""The ``lienthong`` command: one click group, each sub-command in its own module.

Sub-commands are imported only when used, so ``lienthong --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from gateway.cli.common import CliContext
from gateway.errors import GatewayError

#: command name -> module under ``gateway.cli`` exposing ``command``.
COMMANDS: dict[str, str] = {
    "init": "init",
    "serve": "serve",
    "demo": "demo",
    "units": "units",
    "groups": "groups",
    "keys": "keys",
    "tokens": "tokens",
    "users": "users",
    "envelope": "envelope",
    "send": "client",
    "inbox": "client",
    "ack": "client",
    "status": "client",
    "fetch": "fetch",
    "dead-letters": "deadletters",
    "escalations": "escalations",
    "db": "db",
    "edxml": "edxml",
    "audit": "audit",
    "evidence": "evidence",
    "report": "report",
}


class LazyGroup(click.Group):
    """A group whose sub-commands live in modules imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(f"gateway.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gateway.cli.{module_name}":
                return None
            raise
        attr = getattr(module, f"{cmd_name}_command", None) or getattr(module, "command", None)
        return attr if isinstance(attr, click.Command) else None


@click.group(cls=LazyGroup)
@click.option("--home", envvar="LIENTHONG_HOME", default=None, help="Data directory.")
@click.option(
    "--config",
    "config_file",
    envvar="LIENTHONG_CONFIG",
    default=None,
    help="Config file (default: HOME/config.toml).",
)
@click.version_option(package_name="lienthong")
@click.pass_context
def cli(ctx: click.Context, home: str | None, config_file: str | None) -> None:
    """Lienthong: signed document interchange between units."""
    ctx.obj = CliContext(home=home, config_file=config_file)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point: typed errors become ``CODE: message`` and exit 2."""
    try:
        return cli.main(args=argv, prog_name="lienthong", standalone_mode=False)
    except GatewayError as exc:
        click.echo(f"{exc.code}: {exc.message}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
