"""Axis request signatures, bearer tokens and system registration."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from adapters.axis.signing import mint_token, sign_request, signed_headers, verify_token
from adapters.axis.systems import AxisSystems, load_secret
from gateway.config import AdapterConfig
from gateway.errors import AuthError, ConfigError

SECRET = "s" * 40


def test_signature_is_hmac_of_the_documented_canonical_string() -> None:
    """sign_request equals HMAC-SHA256 over METHOD, path, timestamp, nonce, body digest."""
    body = b"<edXML/>"
    text = f"POST\n/axis/v1/edocs\n1700000000\nabcdefabcdefabcd\n{hashlib.sha256(body).hexdigest()}"
    wanted = hmac.new(SECRET.encode(), text.encode(), hashlib.sha256).hexdigest()
    assert (
        sign_request(SECRET, "post", "/axis/v1/edocs", "1700000000", "abcdefabcdefabcd", body)
        == wanted
    )


def test_signed_headers_use_a_fresh_nonce_each_time() -> None:
    """Two signings of the same request in the same second differ (nonce)."""
    one = signed_headers("sys", SECRET, "GET", "/axis/v1/edocs", b"", now=1700000000)
    two = signed_headers("sys", SECRET, "GET", "/axis/v1/edocs", b"", now=1700000000)
    assert one["X-Axis-Nonce"] != two["X-Axis-Nonce"]
    assert one["X-Axis-Signature"] != two["X-Axis-Signature"]


def test_token_verifies_until_it_expires_and_not_under_another_secret() -> None:
    """A minted token names its system, expires after ttl, and fails under another secret."""
    token = mint_token("sys", SECRET, 60, now=1000)
    assert verify_token(token, SECRET, now=1030) == "sys"
    with pytest.raises(AuthError) as expired:
        verify_token(token, SECRET, now=1061)
    assert expired.value.code == "axis.token_expired"
    with pytest.raises(AuthError) as forged:
        verify_token(token, "t" * 40, now=1030)
    assert forged.value.code == "axis.invalid_token"


@pytest.mark.parametrize("token", ["", "ax1.a", "jwt.x.y", "ax1.!!!.x"])
def test_malformed_tokens_are_invalid(token: str) -> None:
    """Garbage in the bearer token is axis.invalid_token, never a crash."""
    with pytest.raises(AuthError) as err:
        verify_token(token, SECRET)
    assert err.value.code == "axis.invalid_token"


def test_secret_comes_from_env_or_private_file_and_must_be_long(tmp_path: Path) -> None:
    """secret_env and 0600 secret_file work; short secrets and group-readable files do not."""
    assert load_secret({"secret_env": "AX"}, {"AX": SECRET}) == SECRET
    path = tmp_path / "s"
    path.write_text(SECRET + "\n")
    path.chmod(0o600)
    assert load_secret({"secret_file": str(path)}, {}) == SECRET
    path.chmod(0o640)
    with pytest.raises(ConfigError):
        load_secret({"secret_file": str(path)}, {})
    with pytest.raises(ConfigError):
        load_secret({"secret_env": "AX"}, {"AX": "short"})
    with pytest.raises(ConfigError):
        load_secret({}, {})


def test_systems_are_read_from_axis_adapter_entries_only() -> None:
    """Only name = "axis" entries register systems; a duplicate id is a config error."""
    entries = [
        AdapterConfig("axis", "000.00.01.H01", {"system_id": "a", "secret_env": "AX"}),
        AdapterConfig("folder", "000.00.02.H01", {}),
    ]
    systems = AxisSystems.from_config(entries, {"AX": SECRET})
    assert len(systems) == 1 and systems.get("a").unit == "000.00.01.H01"
    assert SECRET not in repr(systems.get("a"))
    with pytest.raises(AuthError):
        systems.get("b")
    with pytest.raises(ConfigError):
        AxisSystems.from_config(entries + entries, {"AX": SECRET})
