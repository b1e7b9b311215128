"""The hub's own identity, made on first start: a key passphrase and the hub CA with the
hub's signing key.

A new home works with no setup at all: with no ``LIENTHONG_KEY_PASSPHRASE`` and no
``[keys] passphrase_file``, a random passphrase is generated into ``HOME/keys/passphrase``
(mode 0600, the same place ``lienthong init`` uses), and the hub CA and the hub's own
signing key are created on first start (:func:`ensure_identity`).
"""

from __future__ import annotations

import os
from dataclasses import replace

from gateway.config import Config
from gateway.errors import NoSigningKeyError
from gateway.pki.keyfiles import PASSPHRASE_ENV, generate_passphrase_file
from gateway.pki.keystore import KeyStore

__all__ = ["GENERATED_PASSPHRASE", "ensure_identity", "with_passphrase"]

GENERATED_PASSPHRASE = "keys/passphrase"  # noqa: S105 (a path, as `lienthong init` writes)


def ensure_identity(keys: KeyStore, config: Config) -> None:
    """Create the hub CA and the hub's signing key (``config.hub.unit_code``) if missing."""
    if not keys.has_ca():
        keys.init_ca()
    try:
        keys.signer(config.hub.unit_code)
    except NoSigningKeyError:
        keys.issue(config.hub.unit_code, key_type=config.keys.key_type)


def with_passphrase(config: Config) -> Config:
    """With no passphrase configured, use (or create) ``HOME/keys/passphrase``."""
    if os.environ.get(PASSPHRASE_ENV) or config.keys.passphrase_file:
        return config
    path = config.home / GENERATED_PASSPHRASE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        generate_passphrase_file(path)
    return replace(config, keys=replace(config.keys, passphrase_file=GENERATED_PASSPHRASE))
