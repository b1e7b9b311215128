"""The office systems (and peer hubs) allowed to use the axis API, from ``[[adapters]]``.

Each ``[[adapters]]`` entry named ``axis`` registers one system::

    [[adapters]]
    name = "axis"
    unit = "000.00.01.H01"
    options = { system_id = "ioffice-h01", secret_env = "LIENTHONG_AXIS_IOFFICE_H01" }

The HMAC scheme needs the secret itself (not a hash), so it is never in ``config.toml``:
``secret_env`` names an environment variable, ``secret_file`` a file outside the
repository that only the hub's user may read (mode 0600). A secret is at least 32
characters. ``peer = true`` marks another hub (federation): it may act for ``unit`` and
every unit below it in the directory, and confirming a document does not post 01 for
the recipient (the peer hub's office will). ``allow_plain_http = true`` lets the system
use ``/vxp`` over plain HTTP from a non-loopback address (the VXP protocol does not
protect the body, so by default ``/vxp`` wants TLS).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.config import AdapterConfig
from gateway.envelope.model import check_unit_code
from gateway.errors import AuthError, ConfigError, DirectoryError

__all__ = ["MIN_SECRET_LENGTH", "AxisSystem", "AxisSystems", "load_secret"]

MIN_SECRET_LENGTH = 32
_DEFAULT_TOKEN_TTL = 300


@dataclass(frozen=True, slots=True)
class AxisSystem:
    """One registered caller of the axis API."""

    system_id: str
    unit: str
    secret: str
    peer: bool = False
    token_ttl: int = _DEFAULT_TOKEN_TTL
    allow_plain_http: bool = False  # /vxp over plain HTTP from a non-loopback address

    def __repr__(self) -> str:  # never print the secret
        return f"AxisSystem({self.system_id!r}, unit={self.unit!r}, peer={self.peer})"


def load_secret(options: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str:
    """The secret named by ``secret_env`` or ``secret_file``; ``config.invalid`` otherwise."""
    env = os.environ if env is None else env
    name, path = options.get("secret_env"), options.get("secret_file")
    if name:
        secret = env.get(str(name), "")
        if not secret:
            raise ConfigError(f"axis: environment variable {name} is not set")
    elif path:
        secret = _read_secret_file(Path(str(path)))
    else:
        raise ConfigError("axis: an adapter needs secret_env or secret_file")
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"axis: a secret needs at least {MIN_SECRET_LENGTH} characters")
    return secret


def _read_secret_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"axis: cannot read secret file {path}: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"axis: secret file {path} must be readable by its owner only (0600)")
    return text


def system_from_config(entry: AdapterConfig, env: Mapping[str, str] | None = None) -> AxisSystem:
    """The :class:`AxisSystem` an ``[[adapters]] name = "axis"`` entry describes."""
    options = entry.options
    system_id = str(options.get("system_id") or "")
    if not system_id:
        raise ConfigError("axis: an adapter needs options.system_id")
    try:
        unit = check_unit_code(entry.unit)
    except DirectoryError as exc:
        raise ConfigError(f"axis {system_id}: unit {entry.unit!r} is not a unit code") from exc
    ttl = options.get("token_ttl", _DEFAULT_TOKEN_TTL)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 30 <= ttl <= 3600:
        raise ConfigError(f"axis {system_id}: token_ttl must be 30..3600 seconds")
    return AxisSystem(
        system_id=system_id,
        unit=unit,
        secret=load_secret(options, env),
        peer=bool(options.get("peer", False)),
        token_ttl=ttl,
        allow_plain_http=bool(options.get("allow_plain_http", False)),
    )


class AxisSystems:
    """The registered systems by id."""

    def __init__(self, systems: Iterable[AxisSystem] = ()) -> None:
        self._by_id: dict[str, AxisSystem] = {}
        for system in systems:
            self.add(system)

    @classmethod
    def from_config(
        cls, adapters: Iterable[AdapterConfig], env: Mapping[str, str] | None = None
    ) -> AxisSystems:
        """Every ``[[adapters]]`` entry named ``axis``."""
        return cls(system_from_config(a, env) for a in adapters if a.name == "axis")

    def add(self, system: AxisSystem) -> None:
        """Register one more system (``config.invalid`` if the id is taken)."""
        if system.system_id in self._by_id:
            raise ConfigError(f"axis: system id {system.system_id!r} is registered twice")
        self._by_id[system.system_id] = system

    def get(self, system_id: str) -> AxisSystem:
        """The system with that id, or ``axis.unknown_system`` (401)."""
        system = self._by_id.get(system_id)
        if system is None:
            raise AuthError("unknown axis system", code="axis.unknown_system")
        return system

    def __len__(self) -> int:
        return len(self._by_id)
