"""Directory administration from the CLI: import as upsert, code checks, remove, groups."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.config import load_config
from gateway.directory import Directory
from gateway.errors import GatewayError
from gateway.store.db import Database
from tests.support.cli_runs import code_of, ok, runner

pytestmark = pytest.mark.integration

__all__ = ["runner"]  # the CLI fixture (tests/support/cli_runs.py)

PROVINCE, DISTRICT, COMMUNE = "000.00.00.H01", "000.00.01.H01", "000.01.01.H01"


def write_csv(tmp_path: Path, text: str) -> str:
    """A units CSV in the test's directory."""
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_twice_updates_and_reports_both_counts(runner: CliRunner, tmp_path: Path) -> None:
    """Importing again updates known units (name, parent) and adds new ones, with counts."""
    first = write_csv(
        tmp_path,
        f"code,name,parent\n{PROVINCE},Tỉnh,\n{DISTRICT},Huyện,{PROVINCE}\n",
    )
    assert "2 created, 0 updated, 0 unchanged" in ok(runner, "units", "import", first).stderr
    again = write_csv(
        tmp_path,
        f"{PROVINCE},Tỉnh,\n{DISTRICT},Huyện Mỹ Hòa Hưng,{PROVINCE}\n"
        f"{COMMUNE},Xã Mỹ Hòa Hưng,{DISTRICT}\n",
    )
    assert "1 created, 1 updated, 1 unchanged" in ok(runner, "units", "import", again).stderr
    assert "0 created, 0 updated, 3 unchanged" in ok(runner, "units", "import", again).stderr
    shown = ok(runner, "units", "show", DISTRICT).stdout
    assert "Huyện Mỹ Hòa Hưng" in shown and f"children   {COMMUNE}" in shown


def test_import_refuses_a_move_that_loops(runner: CliRunner, tmp_path: Path) -> None:
    """Moving a unit below its own child is directory.cycle, and nothing changes."""
    ok(
        runner,
        "units",
        "import",
        write_csv(tmp_path, f"{PROVINCE},Tỉnh\n{DISTRICT},H,{PROVINCE}\n"),
    )
    looped = write_csv(tmp_path, f"{PROVINCE},Tỉnh mới,{DISTRICT}\n")
    assert code_of(runner, "units", "import", looped) == "directory.cycle"
    assert "Tỉnh mới" not in ok(runner, "units", "list").stdout


def test_import_refuses_a_bad_code_with_its_line(runner: CliRunner, tmp_path: Path) -> None:
    """`XYZ,Bad code` is refused, naming the line, and nothing of the file is imported."""
    bad = write_csv(tmp_path, f"code,name,parent\n{PROVINCE},Tỉnh,\nXYZ,Bad code,\n")
    result = runner.invoke(cli, ["units", "import", bad])
    assert isinstance(result.exception, GatewayError)
    assert result.exception.code == "directory.bad_unit_code"
    assert "line 3" in result.exception.message and "000.00.00.H01" in result.exception.message
    assert ok(runner, "units", "list").stdout == ""
    assert code_of(runner, "units", "add", "XYZ", "--name", "x") == "directory.bad_unit_code"


def test_remove_a_unit_without_traffic(runner: CliRunner, tmp_path: Path) -> None:
    """A unit nobody used is removed; one with children or a live token is refused."""
    ok(
        runner,
        "units",
        "import",
        write_csv(tmp_path, f"{PROVINCE},Tỉnh\n{DISTRICT},H,{PROVINCE}\n"),
    )
    assert code_of(runner, "units", "remove", PROVINCE) == "directory.unit_in_use"
    token = ok(runner, "tokens", "create", DISTRICT).stdout.strip()
    assert code_of(runner, "units", "remove", DISTRICT) == "directory.unit_in_use"
    ok(runner, "tokens", "revoke", token)
    assert f"removed {DISTRICT}" in ok(runner, "units", "remove", DISTRICT).stderr
    assert DISTRICT not in ok(runner, "units", "list").stdout
    assert code_of(runner, "units", "remove", DISTRICT) == "directory.unknown_unit"


def test_groups_add_list_show_remove(runner: CliRunner, tmp_path: Path) -> None:
    """Explicit, children and descendants groups from the CLI, with their members."""
    ok(
        runner,
        "units",
        "import",
        write_csv(
            tmp_path, f"{PROVINCE},Tỉnh\n{DISTRICT},Huyện,{PROVINCE}\n{COMMUNE},Xã,{DISTRICT}\n"
        ),
    )
    ok(runner, "groups", "add", "G.01", "--members", f"{DISTRICT},{COMMUNE}", "--name", "Họp")
    ok(runner, "groups", "add", "G.02", "--children-of", PROVINCE)
    ok(runner, "groups", "add", "G.03", "--descendants-of", PROVINCE, "--depth", "2")
    listing = ok(runner, "groups", "list").stdout.splitlines()
    assert listing == [
        "G.01\texplicit\t2\tHọp",
        f"G.02\tchildren of {PROVINCE}\t1\tG.02",
        f"G.03\tdescendants of {PROVINCE} (depth 2)\t1\tG.03",
    ]
    assert f"members  {DISTRICT}, {COMMUNE}" in ok(runner, "groups", "show", "G.01").stdout
    assert f"members  {COMMUNE}" in ok(runner, "groups", "show", "G.03").stdout
    assert code_of(runner, "units", "remove", COMMUNE) == "directory.unit_in_use"
    ok(runner, "groups", "remove", "G.01")
    assert code_of(runner, "groups", "show", "G.01") == "directory.unknown_group"
    assert code_of(runner, "groups", "add", "G.04", "--members", "000.00.99.H01") == (
        "directory.unknown_unit"
    )
    both = runner.invoke(
        cli, ["groups", "add", "G.05", "--children-of", PROVINCE, "--members", DISTRICT]
    )
    assert both.exit_code == 2 and "exactly one of" in both.output


def test_units_list_filters_by_days_not_seen(runner: CliRunner, tmp_path: Path) -> None:
    """--not-seen-days N lists units never seen or seen N days ago or longer."""
    ok(
        runner,
        "units",
        "import",
        write_csv(tmp_path, f"{PROVINCE},Tỉnh\n{DISTRICT},H,{PROVINCE}\n"),
    )

    async def seen(code: str, days_ago: int) -> None:
        db = Database(load_config().database_url)
        try:
            await Directory(db).touch(code, at=datetime.now(UTC) - timedelta(days=days_ago))
        finally:
            await db.dispose()

    asyncio.run(seen(PROVINCE, 10))
    asyncio.run(seen(DISTRICT, 1))
    listing = ok(runner, "units", "list", "--not-seen-days", "7").stdout.splitlines()
    assert [line.split("\t")[0] for line in listing] == [PROVINCE]
    assert listing[0].endswith("Z") and "never" not in listing[0]
    assert len(ok(runner, "units", "list", "--not-seen-days", "0").stdout.splitlines()) == 2
    bad = runner.invoke(cli, ["units", "list", "--not-seen-days", "-1"])
    assert bad.exit_code == 2 and "0<=x<=36500" in bad.output
