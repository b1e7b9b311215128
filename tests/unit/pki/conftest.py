"""Fixtures for the PKI tests: a home in tmp_path with a passphrase in the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Config, load_config
from gateway.pki.keystore import KeyStore

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def pki_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A config whose home is a fresh tmp dir and whose passphrase comes from the env."""
    monkeypatch.setenv("LIENTHONG_KEY_PASSPHRASE", PASSPHRASE)
    return load_config(home=tmp_path / "home", env={})


@pytest.fixture
def store(pki_config: Config) -> KeyStore:
    """A key store with a fresh (fast, EC) hub CA."""
    ks = KeyStore(pki_config)
    ks.init_ca(key_type="ecdsa-p256")
    return ks
