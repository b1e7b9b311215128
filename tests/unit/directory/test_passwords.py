"""The clerks' password hashes (scrypt)."""

from __future__ import annotations

import pytest

from gateway.directory.passwords import check_strength, hash_password, verify_password


def test_hash_verifies_only_its_password() -> None:
    """A hash verifies its own password, not another; two hashes of one password differ."""
    first, second = hash_password("mat-khau-dai-du"), hash_password("mat-khau-dai-du")
    assert first != second and first.startswith("scrypt$14$8$1$")
    assert verify_password("mat-khau-dai-du", first) and verify_password("mat-khau-dai-du", second)
    assert not verify_password("mat-khau-dai-dU", first)


@pytest.mark.parametrize(
    "stored",
    [None, "", "plain", "bcrypt$x$y$z$a$b", "scrypt$30$8$1$AAAA$AAAA", "scrypt$14$800$1$AA$AA",
     "scrypt$14$8$1$!!$!!"],
)  # fmt: skip
def test_a_missing_or_foreign_hash_never_verifies(stored: str | None) -> None:
    """No hash (an unknown user: a decoy is checked), a foreign scheme, parameters out of
    range or broken base64 are all a wrong password, never an exception."""
    assert verify_password("mat-khau-dai-du", stored) is False


def test_short_passwords_are_refused() -> None:
    """Fewer than ten characters is too short."""
    with pytest.raises(ValueError, match="10"):
        check_strength("ngan")
    check_strength("du-muoi-ky-tu")
