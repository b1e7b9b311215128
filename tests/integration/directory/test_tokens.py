"""Bearer tokens on both databases: hashed at rest, constant-time check, revocable."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select

from gateway.directory import Directory, Principal
from gateway.errors import AuthError, DirectoryError, NotFoundError
from gateway.store.models import TokenRow

pytestmark = pytest.mark.integration

UNIT = "000.00.00.H01"


@pytest.fixture
async def directory(db: Any) -> Directory:
    d = Directory(db)
    await d.add(UNIT, "Tỉnh")
    return d


async def test_token_authenticates_and_is_stored_hashed(directory: Directory, db: Any) -> None:
    """A unit token maps to its unit; only the SHA-256 is in the database."""
    token = await directory.create_token(unit=UNIT)
    assert len(token) >= 43  # 32 random bytes, urlsafe base64
    assert await directory.authenticate(token) == Principal(unit=UNIT)
    async with db.session() as session:
        rows = (await session.execute(select(TokenRow))).scalars().all()
    assert [r.token_hash for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in (r.id, r.token_hash) for r in rows)


async def test_operator_tokens_and_owner_rules(directory: Directory) -> None:
    """Operator tokens name the operator; a token needs exactly one known owner."""
    token = await directory.create_token(operator="ops-anna")
    assert await directory.authenticate(token) == Principal(operator="ops-anna")
    for kwargs, code in [
        ({}, "directory.invalid"),
        ({"unit": UNIT, "operator": "x"}, "directory.invalid"),
        ({"unit": "000.99.99.H99"}, "directory.unknown_unit"),
        ({"operator": "evil\nline"}, "directory.invalid"),
    ]:
        with pytest.raises(DirectoryError) as info:
            await directory.create_token(**kwargs)
        assert info.value.code == code


async def test_revoked_and_unknown_tokens_are_refused(directory: Directory) -> None:
    """Revoking by id or by value stops the token; unknown tokens never authenticate."""
    by_value = await directory.create_token(unit=UNIT)
    by_id = await directory.create_token(unit=UNIT)
    revoked_id = await directory.revoke_token(by_value)
    token_id = next(t.id for t in await directory.list_tokens() if t.id != revoked_id)
    assert await directory.revoke_token(token_id) == token_id
    for token in (by_value, by_id, "not-a-token", ""):
        with pytest.raises(AuthError) as info:
            await directory.authenticate(token)
        assert info.value.code == "auth.invalid_token"
    assert all(t.revoked_at is not None for t in await directory.list_tokens())
    with pytest.raises(NotFoundError):
        await directory.revoke_token("nothing-like-this")


async def test_cached_token_is_refused_right_after_revoke(directory: Directory) -> None:
    """A token cached by a successful check is refused at once after a revoke here."""
    token = await directory.create_token(unit=UNIT)
    assert await directory.authenticate(token) == Principal(unit=UNIT)
    assert await directory.authenticate(token) == Principal(unit=UNIT)  # from the cache
    await directory.revoke_token(token)
    with pytest.raises(AuthError) as info:
        await directory.authenticate(token)
    assert info.value.code == "auth.invalid_token"
