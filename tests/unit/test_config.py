"""Configuration loading: file, environment overrides, embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError


def test_embedded_default_is_sqlite_and_local_bus(tmp_path: Path) -> None:
    """With no config file the hub uses SQLite in its home and the local bus."""
    cfg = load_config(home=tmp_path, env={})
    assert cfg.database_url == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'lienthong.db'}"
    assert cfg.bus.url == "local://"
    assert cfg.blob_dir == tmp_path.resolve() / "blobs"


def test_file_values_and_env_overrides(tmp_path: Path) -> None:
    """Environment variables LIENTHONG_<SECTION>_<KEY> win over the file, typed as the default."""
    (tmp_path / "config.toml").write_text(
        '[hub]\nlisten = "0.0.0.0:9000"\nrate_per_minute = 10\n'
        '[[adapters]]\nname = "folder"\nunit = "000.00.00.H01"\noptions = { path = "/x" }\n'
    )
    env = {"LIENTHONG_HUB_RATE_PER_MINUTE": "99", "LIENTHONG_BUS_URL": "amqp://h/"}
    cfg = load_config(home=tmp_path, env=env)
    assert cfg.hub.listen == "0.0.0.0:9000"
    assert cfg.hub.rate_per_minute == 99
    assert cfg.bus.url == "amqp://h/"
    assert cfg.adapters[0].options == {"path": "/x"}


def test_outbox_retention_is_a_day_unless_configured(tmp_path: Path) -> None:
    """Published outbox rows are kept a day by default; the file or the environment set it."""
    assert load_config(home=tmp_path, env={}).database.outbox_keep_seconds == 86400.0
    (tmp_path / "config.toml").write_text("[database]\noutbox_keep_seconds = 3600\n")
    assert load_config(home=tmp_path, env={}).database.outbox_keep_seconds == 3600
    env = {"LIENTHONG_DATABASE_OUTBOX_KEEP_SECONDS": "0"}
    assert load_config(home=tmp_path, env=env).database.outbox_keep_seconds == 0.0


def test_home_from_environment(tmp_path: Path) -> None:
    """LIENTHONG_HOME chooses the data directory when --home is not given."""
    cfg = load_config(env={"LIENTHONG_HOME": str(tmp_path)})
    assert cfg.home == tmp_path.resolve()


@pytest.mark.parametrize(
    ("text", "env"),
    [
        ("[hub]\nnope = 1\n", {}),
        ("[hub\n", {}),
        ("", {"LIENTHONG_HUB_RATE_PER_MINUTE": "many"}),
        ("[[adapters]]\nunit = 'x'\n", {}),
        ("[hub]\nsigning_threads = -1\n", {}),
        ("", {"LIENTHONG_HUB_SIGNING_THREADS": "1000"}),
        ("[database]\noutbox_keep_seconds = -1\n", {}),
        ("[database]\noutbox_keep_seconds = 'a day'\n", {}),
        ("", {"LIENTHONG_DATABASE_VACUUM_SECONDS": "-5"}),
    ],
)
def test_bad_config_is_a_typed_error(tmp_path: Path, text: str, env: dict[str, str]) -> None:
    """Unknown keys, broken TOML, bad numbers and nameless adapters raise ConfigError."""
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError):
        load_config(home=tmp_path, env=env)


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    """An explicit --config that does not exist is an error, not a silent default."""
    with pytest.raises(ConfigError):
        load_config(home=tmp_path, config_file=tmp_path / "absent.toml", env={})
