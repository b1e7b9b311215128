"""What a hub needs before it starts: a key passphrase, its identity, its bus.

A new home works with no setup at all: with no ``LIENTHONG_KEY_PASSPHRASE`` and no
``[keys] passphrase_file``, a random passphrase is generated into ``HOME/keys/passphrase``
(mode 0600, the same place ``lienthong init`` uses), and the hub CA and the hub's own
signing key are created on first start.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

from gateway.bus import Bus, open_bus
from gateway.config import Config
from gateway.errors import NoSigningKeyError
from gateway.pki.keyfiles import PASSPHRASE_ENV, generate_passphrase_file
from gateway.pki.keystore import KeyStore

__all__ = ["ensure_identity", "open_configured_bus", "with_passphrase"]

GENERATED_PASSPHRASE = "keys/passphrase"  # noqa: S105 (a path, as `lienthong init` writes)


def ensure_identity(keys: KeyStore, config: Config) -> None:
    """Create the hub CA and the hub's signing key (``config.hub.unit_code``) if missing."""
    if not keys.has_ca():
        keys.init_ca()
    try:
        keys.signer(config.hub.unit_code)
    except NoSigningKeyError:
        keys.issue(config.hub.unit_code, key_type=config.keys.key_type)


def open_configured_bus(config: Config) -> Bus:
    """The bus of ``[bus]`` (not yet connected)."""
    bus = config.bus
    options: dict[str, Any] = {"prefetch": bus.prefetch, "delivery_limit": bus.delivery_limit}
    if not bus.url.startswith("local"):
        options["confirm_timeout"] = bus.confirm_timeout_seconds
        options["shards"] = bus.shards
    return open_bus(bus.url, **options)


def with_passphrase(config: Config) -> Config:
    """With no passphrase configured, use (or create) ``HOME/keys/passphrase``."""
    if os.environ.get(PASSPHRASE_ENV) or config.keys.passphrase_file:
        return config
    path = config.home / GENERATED_PASSPHRASE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_passphrase_file(path)
    return replace(config, keys=replace(config.keys, passphrase_file=GENERATED_PASSPHRASE))
