"""``lienthong units rename|move|retire|merge|recode|split|show`` and ``units plan apply``
from the CLI, on a fresh embedded home."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from tests.support.cli_runs import code_of, ok, runner

pytestmark = pytest.mark.integration

__all__ = ["runner"]  # the CLI fixture (tests/support/cli_runs.py)

P, D1, D2, D3 = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01", "000.00.03.H01"
C1, C2 = "000.01.01.H01", "000.02.01.H01"


def _tree(runner: CliRunner, tmp_path: Path) -> None:
    rows = [f"{P},Tỉnh,", f"{D1},Huyện 1,{P}", f"{D2},Huyện 2,{P}", f"{D3},Huyện 3,{P}"]
    rows += [f"{C1},Xã 1,{D1}", f"{C2},Xã 2,{D2}"]
    path = tmp_path / "units.csv"
    path.write_text("code,name,parent\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ok(runner, "units", "import", str(path))


def test_each_change_and_show_lineage(runner: CliRunner, tmp_path: Path) -> None:
    """rename, move, merge, recode, split and a scheduled retire; show prints lineage."""
    _tree(runner, tmp_path)
    assert "renamed" in ok(runner, "units", "rename", D1, "--name", "Huyện Một").stderr
    ok(runner, "units", "move", C2, "--parent", D1)
    ok(runner, "units", "merge", D2, "--into", D1)
    shown = ok(runner, "units", "show", D1).stdout
    assert f"before     {D2} (merge" in shown and "Huyện Một" in shown
    ok(runner, "units", "recode", C2, "000.02.09.H01")
    assert "after      000.02.09.H01 (recode" in ok(runner, "units", "show", C2).stdout
    ok(runner, "units", "add", "000.01.09.H01", "--name", "Xã 9", "--parent", D1)
    ok(runner, "units", "split", C1, "--into", "000.01.09.H01,000.02.09.H01")
    later = ok(runner, "units", "retire", D3, "--successor", P, "--at", "2099-01-01T00:00+07:00")
    assert "from 2098-12-31 17:00:00Z" in later.stderr
    assert "valid      always .. 2098-12-31 17:00:00Z" in ok(runner, "units", "show", D3).stdout
    assert code_of(runner, "units", "retire", D2, "--successor", P) == "directory.unit_retired"
    assert code_of(runner, "units", "retire", D1, "--successor", D2) == (
        "directory.successor_retired"
    )
    assert code_of(runner, "units", "move", P, "--parent", D1) == "directory.cycle"
    assert code_of(runner, "units", "rename", D1, "--name", "x", "--at", "2025-07-01") == (
        "directory.invalid"
    )


def test_plan_apply_dry_run_apply_and_refusal(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--dry-run prints the steps and what stops (a certificate) and changes nothing;
    apply does it all; a second apply is refused whole, listing every problem."""
    monkeypatch.setenv("LIENTHONG_KEY_PASSPHRASE", "plan-test-passphrase")
    _tree(runner, tmp_path)
    ok(runner, "init")
    plan = tmp_path / "plan.csv"
    plan.write_text(
        "action,code,new_code,name,parent,successor,effective_at\n"
        f"move,{C1},,,{P},,\n"
        f"move,{C2},,,{P},,\n"
        f"retire,{D1},,,,{P},\n"
        f"merge,{D2},,,,{D3},\n",
        encoding="utf-8",
    )
    ok(runner, "keys", "issue", D1)
    dry = ok(runner, "units", "plan", "apply", str(plan), "--dry-run")
    assert f"line 4: retire {D1} into {P}" in dry.stdout and "would touch" in dry.stderr
    assert "1 certificates stopping" in dry.stderr
    assert "valid      always .. \n" in ok(runner, "units", "show", D1).stdout
    done = ok(runner, "units", "plan", "apply", str(plan))
    assert "applied" in done.stderr and "1 units merged" in done.stderr
    assert f"parent     {P}" in ok(runner, "units", "show", C1).stdout
    result = runner.invoke(cli, ["units", "plan", "apply", str(plan)])
    assert result.exception is not None
    assert getattr(result.exception, "code", "") == "directory.plan_refused"
    assert "directory.unit_retired" in str(result.exception)
