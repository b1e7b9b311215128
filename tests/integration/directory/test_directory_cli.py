"""The units, tokens, db and audit commands on the embedded SQLite home."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.errors import DirectoryError

pytestmark = pytest.mark.integration


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("LIENTHONG_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LIENTHONG_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIENTHONG_CONFIG", raising=False)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_units_add_import_list_show(runner: CliRunner, tmp_path: Path) -> None:
    """Units added one by one and from CSV appear in list and show."""
    invoke(runner, "db", "upgrade")
    invoke(runner, "units", "add", "000.00.00.H01", "--name", "Tỉnh")
    csv_file = tmp_path / "units.csv"
    csv_file.write_text(
        "code,name,parent\n000.01.01.H01,Xã,000.00.01.H01\n000.00.01.H01,Huyện,000.00.00.H01\n",
        encoding="utf-8",
    )
    invoke(runner, "units", "import", str(csv_file))
    listing = invoke(runner, "units", "list").splitlines()
    assert listing == [
        "000.00.00.H01\t-\tTỉnh\tnever",
        "000.00.01.H01\t000.00.00.H01\tHuyện\tnever",
        "000.01.01.H01\t000.00.01.H01\tXã\tnever",
    ]
    shown = invoke(runner, "units", "show", "000.00.01.H01")
    assert "children   000.01.01.H01" in shown and "last seen  never" in shown


def test_units_errors_are_typed(runner: CliRunner) -> None:
    """A bad code is a typed directory error (main() prints it as CODE: message)."""
    result = runner.invoke(cli, ["units", "add", "bad code", "--name", "x"])
    assert isinstance(result.exception, DirectoryError)
    assert result.exception.code == "directory.bad_unit_code"


def test_tokens_create_prints_only_the_token(runner: CliRunner, tmp_path: Path) -> None:
    """tokens create prints the token alone; it is stored hashed; revoke and list work."""
    invoke(runner, "units", "add", "000.00.00.H01", "--name", "Tỉnh")
    token = invoke(runner, "tokens", "create", "000.00.00.H01")
    assert token.count("\n") == 1 and len(token.strip()) >= 43
    operator = invoke(runner, "tokens", "create", "--operator", "anna").strip()
    db_file = tmp_path / "home" / "lienthong.db"
    wal = Path(f"{db_file}-wal")
    raw = db_file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert token.strip().encode() not in raw and operator.encode() not in raw
    invoke(runner, "tokens", "revoke", operator)
    listing = invoke(runner, "tokens", "list")
    assert "operator:anna" in listing and "revoked" in listing and "unit:000.00.00.H01" in listing
    bad = runner.invoke(cli, ["tokens", "create"])
    assert bad.exit_code != 0


def test_audit_verify_reports_the_broken_seq(runner: CliRunner, tmp_path: Path) -> None:
    """audit verify says ok with the count, then fails naming an edited entry's seq."""
    invoke(runner, "units", "add", "000.00.00.H01", "--name", "Tỉnh")
    invoke(runner, "units", "add", "000.00.01.H01", "--name", "Huyện", "--parent", "000.00.00.H01")
    assert invoke(runner, "audit", "verify").strip() == "ok 2 entries"
    with sqlite3.connect(tmp_path / "home" / "lienthong.db") as conn:
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "seq 2" in result.stderr
