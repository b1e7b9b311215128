"""Running the ``lienthong`` CLI in tests: as a real process against a served hub
(:func:`run_lienthong`), or in-process on a fresh embedded home (the ``runner`` fixture,
:func:`ok`, :func:`code_of`)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import cli
from gateway.errors import GatewayError
from tests.support.api_world import World

__all__ = ["LIENTHONG", "code_of", "ok", "run_lienthong", "runner"]

LIENTHONG = str(Path(sys.executable).with_name("lienthong"))


async def run_lienthong(world: World, who: str, *args: str, home: Path) -> tuple[int, str, str]:
    """``lienthong ARGS`` as ``who`` against ``world``'s hub: exit code, stdout, stderr."""
    env = {
        **os.environ,
        "LIENTHONG_URL": str(world.client.make_url("/")),
        "LIENTHONG_TOKEN": world.tokens.get(who, who),
        "LIENTHONG_HOME": str(home),
    }
    proc = await asyncio.create_subprocess_exec(
        LIENTHONG, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI on a fresh embedded home (SQLite)."""
    monkeypatch.setenv("LIENTHONG_HOME", str(tmp_path / "home"))
    for name in ("LIENTHONG_DATABASE_URL", "LIENTHONG_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return CliRunner()


def ok(runner: CliRunner, *args: str) -> Result:
    """Run a command that must succeed."""
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def code_of(runner: CliRunner, *args: str) -> str:
    """Run a command that must fail with a typed error; its stable code."""
    result = runner.invoke(cli, list(args))
    assert isinstance(result.exception, GatewayError), result.output
    return result.exception.code
