"""The webhook HMAC: what receivers check."""

from __future__ import annotations

import hashlib
import hmac

from adapters.webhook import sign, verify


def test_signature_is_hmac_of_timestamp_dot_body() -> None:
    """sha256=hex(HMAC-SHA256(secret, ts + '.' + body))."""
    expected = hmac.new(b"k", b"1700000000.<x/>", hashlib.sha256).hexdigest()
    assert sign(b"k", "1700000000", b"<x/>") == "sha256=" + expected


def test_verify_checks_body_secret_and_age() -> None:
    """A changed body, another secret or an old timestamp does not verify."""
    sig = sign(b"k", "1000", b"body")
    assert verify(b"k", "1000", b"body", sig, now=1100)
    assert not verify(b"k", "1000", b"Body", sig, now=1100)
    assert not verify(b"other", "1000", b"body", sig, now=1100)
    assert not verify(b"k", "1000", b"body", sig, now=5000)
    assert not verify(b"k", "soon", b"body", sig, now=1100)
