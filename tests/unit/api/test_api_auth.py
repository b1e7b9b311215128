"""Reading the bearer credential from the Authorization header."""

from __future__ import annotations

import pytest

from gateway.api.auth import bearer_token
from gateway.errors import AuthError


def test_absent_header_is_no_token() -> None:
    """No header means no token (the caller may still present a TLS certificate)."""
    assert bearer_token(None) is None


def test_bearer_token_is_read_case_insensitively() -> None:
    """The scheme name is case-insensitive; surrounding spaces are dropped."""
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer ", "Token abc", "abc"])
def test_other_schemes_are_invalid_tokens(header: str) -> None:
    """A header that is not a non-empty Bearer credential is auth.invalid_token."""
    with pytest.raises(AuthError) as err:
        bearer_token(header)
    assert err.value.code == "auth.invalid_token"
