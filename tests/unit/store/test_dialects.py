"""The backends' strategy objects: picked by the database URL, refused when unknown."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from gateway.store import dialects
from gateway.store.db import Database


async def test_a_database_knows_its_dialect(tmp_path: object) -> None:
    """A SQLite URL gives the SQLite strategy, which writes table by table."""
    db = Database(f"sqlite:///{tmp_path}/d.db")
    try:
        assert db.dialect is dialects.SQLITE
        assert not db.dialect.combined_writes
        assert dialects.named("postgresql").combined_writes
    finally:
        await db.dispose()


def test_an_unknown_backend_is_a_config_error() -> None:
    """A database the store does not run on is refused with config.invalid at start."""
    with pytest.raises(ConfigError) as caught:
        Database("mysql://db.example/lienthong")
    assert caught.value.code == "config.invalid"
