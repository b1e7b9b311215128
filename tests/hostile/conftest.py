"""Fixtures for the hostile corpus: a signer, a trust store, and a refusal checker.

Each hostile case asserts its own stable error code and that nothing else changed: the
refusal leaves no state behind (the good sample still verifies to the same envelope
afterwards, with the same trust store).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.certs import CertFactory, Issued
from support.envelopes import SENDER, sample_envelope
from support.hostile import Refuses

from gateway.envelope.seal import seal_envelope
from gateway.envelope.verify import verify_envelope
from gateway.errors import GatewayError
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


@pytest.fixture(scope="session")
def good(sender: Issued) -> bytes:
    """The sample envelope, sealed by the sender."""
    return seal_envelope(sample_envelope(), sender.key, sender.cert)


@pytest.fixture
def refuses(good: bytes, trust: TrustStore) -> Refuses:
    """``refuses(data, code, verify=verify_envelope, trust=...)``: refused, nothing changed."""

    def check(
        data: bytes,
        code: str,
        *,
        verify: Callable[..., object] = verify_envelope,
        trust_store: TrustStore | None = None,
    ) -> GatewayError:
        before = bytes(data)
        with pytest.raises(GatewayError) as info:
            verify(data, trust_store or trust)
        error = info.value
        assert error.code == code, f"expected {code}, got {error.code}: {error.message}"
        assert error.http_status in (400, 413, 422)
        assert data == before
        assert verify_envelope(good, trust).envelope == sample_envelope()
        return error

    return check
