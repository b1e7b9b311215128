"""Password hashes for the clerks' own accounts: scrypt (memory-hard, in the standard
library), a random salt per password, the parameters kept beside the hash so that they
can be raised later without breaking the hashes stored before.

Stored form: ``scrypt$<log2 n>$<r>$<p>$<salt, base64>$<hash, base64>``. Hashing needs
16 MiB of memory and a fraction of a second of CPU; callers on an event loop run it in a
thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Final

__all__ = ["MIN_LENGTH", "check_strength", "hash_password", "verify_password"]

#: The shortest password an account may have.
MIN_LENGTH: Final = 10
_LOG2_N: Final = 14
_R: Final = 8
_P: Final = 1
_LENGTH: Final = 32
#: A hash of nothing in particular: an unknown username is checked against it, so that
#: it costs the same time as a known one.
_DECOY: Final = "scrypt$14$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "="


def _scrypt(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_LENGTH,
        maxmem=128 * r * n * 2 + 1024 * 1024,
    )  # fmt: skip


def check_strength(password: str) -> None:
    """``ValueError`` for a password shorter than :data:`MIN_LENGTH` characters."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password has at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """The stored form of ``password`` (a fresh salt each time)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _LOG2_N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_LOG2_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (``None``: checks a decoy, returns False)."""
    try:
        scheme, log2_n, r, p, salt, digest = (stored or _DECOY).split("$")
        if scheme != "scrypt" or not (10 <= int(log2_n) <= 20 and 0 < int(r) * int(p) <= 64):
            return False
        expected = base64.b64decode(digest)
        got = _scrypt(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got, expected) and stored is not None
