"""Adapter discovery by name through the ``lienthong.adapters`` entry points."""

from __future__ import annotations

import pytest

from adapters.folder import FolderAdapter
from adapters.memory import MemoryAdapter
from adapters.registry import available, build_adapter, load_adapter
from gateway.config import AdapterConfig
from gateway.errors import ConfigError


def test_builtins_are_entry_points() -> None:
    """memory, folder and webhook resolve like any third-party adapter."""
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="lienthong.adapters")}
    assert {"memory", "folder", "webhook"} <= names
    assert load_adapter("folder") is FolderAdapter


def test_unknown_name_suggests_the_closest() -> None:
    """A typo is adapter.unknown with a 'did you mean' hint."""
    with pytest.raises(ConfigError) as err:
        load_adapter("foldr")
    assert err.value.code == "adapter.unknown"
    assert "did you mean 'folder'?" in err.value.message


def test_module_path_names_and_non_adapters() -> None:
    """'module:Class' loads directly; something that is not an Adapter is refused."""
    assert load_adapter("adapters.memory:MemoryAdapter") is MemoryAdapter
    with pytest.raises(ConfigError):
        load_adapter("adapters.base:OutboundItem")
    with pytest.raises(ConfigError):
        load_adapter("adapters.nope:Thing")


def test_build_needs_a_unit() -> None:
    """An entry without a unit is a config error; with one, an instance for that unit."""
    with pytest.raises(ConfigError):
        build_adapter(AdapterConfig("memory"))
    adapter = build_adapter(AdapterConfig("memory", "000.00.01.H01", {"status": "01"}))
    assert adapter.unit == "000.00.01.H01"
    assert "memory" in available()


def test_adapter_options_are_checked() -> None:
    """Folder without a path, webhook without a secret or with a bad url: config errors."""
    with pytest.raises(ConfigError):
        build_adapter(AdapterConfig("folder", "000.00.01.H01"))
    with pytest.raises(ConfigError):
        build_adapter(AdapterConfig("webhook", "000.00.01.H01", {"url": "http://x/h"}))
    with pytest.raises(ConfigError):
        build_adapter(AdapterConfig("webhook", "000.00.01.H01", {"url": "ftp://x", "secret": "s"}))
    with pytest.raises(ConfigError):
        build_adapter(
            AdapterConfig(
                "webhook", "000.00.01.H01", {"url": "http://x", "secret_env": "LT_NONE_X"}
            )
        )
