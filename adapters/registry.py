"""Find adapter classes by name: the ``lienthong.adapters`` entry-point group.

Built-in adapters are registered exactly like third-party ones (``pyproject.toml``,
``[project.entry-points."lienthong.adapters"]``), so ``name = "folder"`` and
``name = "acme_ioffice"`` resolve the same way. A name may also be a ``module:Class``
path. Modules are imported only when their adapter is asked for, so an adapter's
optional dependencies cost nothing unless it is configured (as kombu's transport aliases).
An unknown name is ``adapter.unknown`` with a "did you mean …?" hint.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import Any

from adapters.base import Adapter
from gateway.config import AdapterConfig
from gateway.errors import ConfigError

__all__ = ["ENTRY_POINT_GROUP", "available", "build_adapter", "load_adapter", "resolve"]

ENTRY_POINT_GROUP = "lienthong.adapters"

#: Built-ins, so a source checkout works before its entry points are installed.
BUILTIN: Mapping[str, str] = {
    "memory": "adapters.memory:MemoryAdapter",
    "folder": "adapters.folder:FolderAdapter",
    "webhook": "adapters.webhook:WebhookAdapter",
}


def available() -> dict[str, str]:
    """Every known adapter name → its ``module:Class`` target (entry points win)."""
    from importlib.metadata import entry_points  # imported late: it is slow to import

    names = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        names[ep.name] = ep.value
    return names


def resolve(name: str) -> str:
    """The ``module:Class`` target of ``name``; ``adapter.unknown`` if there is none."""
    if ":" in name:
        return name
    known = available()
    if name in known:
        return known[name]
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(known))}"
    raise ConfigError(f"no adapter named {name!r}{hint}", code="adapter.unknown")


def load_adapter(name: str) -> type[Adapter]:
    """Import and return the adapter class registered as ``name``."""
    target = resolve(name)
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            f"adapter {name!r} ({target}) cannot be loaded: {exc}", code="adapter.unknown"
        ) from exc
    if not (isinstance(obj, type) and issubclass(obj, Adapter)):
        raise ConfigError(f"{target} is not an Adapter class", code="adapter.unknown")
    return obj


def build_adapter(entry: AdapterConfig) -> Adapter:
    """An adapter instance for one ``[[adapters]]`` entry (``unit`` is required)."""
    if not entry.unit:
        raise ConfigError(f"[[adapters]] {entry.name!r} needs a unit", code="config.invalid")
    cls = load_adapter(entry.name)
    return cls(unit=entry.unit, options=entry.options)
