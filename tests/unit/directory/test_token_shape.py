"""The shape of a new bearer token."""

from __future__ import annotations

from gateway.directory.tokens import _new_token


def test_a_new_token_never_looks_like_an_option() -> None:
    """No token starts with '-' (a command line would read it as an option)."""
    tokens = [_new_token() for _ in range(5000)]
    assert all(not t.startswith("-") and len(t) >= 43 for t in tokens)
    assert len(set(tokens)) == len(tokens)
