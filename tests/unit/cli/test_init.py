"""``lienthong init``: a working home from nothing, idempotent, passphrase handled."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gateway.cli import cli
from gateway.config import load_config
from gateway.errors import GatewayError
from gateway.pki.keystore import KeyStore


def lienthong(home: Path, *args: str, passphrase: str | None = None) -> Result:
    """Run ``lienthong --home HOME ARGS`` in process."""
    env = {"LIENTHONG_KEY_PASSPHRASE": passphrase, "LIENTHONG_CONFIG": None}
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=env)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_from_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no passphrase set, init writes config, a 0600 passphrase file, CA, hub key, DB."""
    # the key store below reads the process environment: none may leak in from elsewhere
    monkeypatch.delenv("LIENTHONG_KEY_PASSPHRASE", raising=False)
    home = tmp_path / "home"
    result = lienthong(home, "init")
    assert result.exit_code == 0, result.output
    config_text = (home / "config.toml").read_text()
    assert tomllib.loads(config_text)["keys"]["passphrase_file"] == "keys/passphrase"
    assert tomllib.loads(config_text)["bus"]["url"] == "local://"
    assert _mode(home / "keys") == 0o700
    assert _mode(home / "keys" / "passphrase") == 0o600
    assert (home / "blobs").is_dir()
    assert (home / "lienthong.db").exists()
    assert "migrated" in result.stdout and str(home / "keys" / "ca.pem") in result.stdout
    config = load_config(home, env={})
    _key, cert = KeyStore(config).signer(config.hub.unit_code)
    assert KeyStore(config).trust_store().check(cert) == config.hub.unit_code


def test_init_twice_keeps_everything(tmp_path: Path) -> None:
    """A second init keeps the CA, the hub key and the passphrase."""
    home = tmp_path / "home"
    lienthong(home, "init")
    before = {p: p.read_bytes() for p in (home / "keys").rglob("*") if p.is_file()}
    again = lienthong(home, "init")
    assert again.exit_code == 0, again.output
    assert "(kept)" in again.stdout
    after = {p: p.read_bytes() for p in before}
    assert after == before


def test_init_with_env_passphrase(tmp_path: Path) -> None:
    """With LIENTHONG_KEY_PASSPHRASE set, no passphrase file is generated."""
    home = tmp_path / "home"
    result = lienthong(home, "init", passphrase="from-env")
    assert result.exit_code == 0, result.output
    assert not (home / "keys" / "passphrase").exists()
    assert tomllib.loads((home / "config.toml").read_text())["keys"]["passphrase_file"] == ""


def test_init_existing_config_without_passphrase(tmp_path: Path) -> None:
    """An existing config with no passphrase source is refused, not silently rewritten."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[hub]\nunit_code = "000.00.00.H01"\n')
    result = lienthong(home, "init")
    assert isinstance(result.exception, GatewayError)
    assert result.exception.code == "pki.bad_passphrase"
    assert (home / "config.toml").read_text() == '[hub]\nunit_code = "000.00.00.H01"\n'
