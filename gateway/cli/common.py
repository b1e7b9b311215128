"""What every sub-command shares: the home, the config, running a coroutine."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from gateway.config import Config, load_config
from gateway.errors import ConfigError

T = TypeVar("T")


@dataclass
class CliContext:
    """Options of the top-level group, with the config loaded on first use."""

    home: str | None = None
    config_file: str | None = None
    _config: Config | None = field(default=None, repr=False)

    @property
    def config(self) -> Config:
        """The loaded configuration (home, database, bus, keys, adapters)."""
        if self._config is None:
            self._config = load_config(self.home, self.config_file)
        return self._config


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def one_line(text: str) -> str:
    """Names and subjects come from files and other people: keep each on one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` too) → (host, port); ``config.invalid`` otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ConfigError(f"hub.listen {listen!r} is not host:port", code="config.invalid")
    return host.strip("[]") or "127.0.0.1", int(port)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion (sub-commands are sync click callbacks)."""
    return asyncio.run(coro)
