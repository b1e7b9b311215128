"""Fixtures for envelope tests: a test CA, a signing unit, its trust store."""

from __future__ import annotations

import pytest
from support.certs import CertFactory, Issued
from support.envelopes import SENDER

from gateway.pki.trust import TrustStore


@pytest.fixture(scope="session")
def factory() -> CertFactory:
    """One test hub CA for the session."""
    return CertFactory()


@pytest.fixture(scope="session")
def sender(factory: CertFactory) -> Issued:
    """The sample sender's RSA-2048 key and certificate."""
    return factory.issue(SENDER)


@pytest.fixture
def trust(factory: CertFactory) -> TrustStore:
    """A trust store with the test CA and its current CRL."""
    return factory.trust_store()
