"""API bearer tokens: 32 random bytes, stored only as SHA-256, revocable.

Lookup is by the hash (an indexed equality), and the stored hash is then compared with
``equal_secrets`` (constant time, on bytes), so neither the lookup nor the comparison
leaks the token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.directory.lineage import Lineage
from gateway.directory.principal import Principal
from gateway.directory.scope import subtree
from gateway.errors import AuthError, DirectoryError, NotFoundError, UnknownUnitError
from gateway.store import audit
from gateway.store.db import Database
from gateway.store.models import TokenRow, UnitRow, utcnow
from gateway.untrusted import equal_secrets

__all__ = ["TokenInfo", "TokenRegistry", "hash_token"]

_OPERATOR_MAX = 200
_CACHE_TTL = 15.0
_CACHE_MAX = 10_000


def _new_token() -> str:
    """32 random bytes, URL-safe; never starting with ``-``, which a command line would
    take for an option (``lienthong tokens revoke TOKEN``)."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    """The SHA-256 hex stored for ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed (never the token itself)."""

    id: str
    unit: str | None
    operator: str | None
    created_at: datetime
    revoked_at: datetime | None
    scope: str | None = None


class TokenRegistry:
    """Create, revoke, list and check bearer tokens."""

    def __init__(self, db: Database, lineage: Lineage | None = None) -> None:
        self.db = db
        #: A retired unit's tokens stop working at the instant it retires.
        self.lineage = lineage
        # token hash -> (principal, monotonic expiry); only valid tokens are cached
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def create(
        self,
        unit: str | None = None,
        operator: str | None = None,
        *,
        actor: str = "admin",
        scope: str | None = None,
    ) -> str:
        """A new token for ``unit`` or ``operator`` (exactly one); returned once, never stored.
        An operator's token may be limited to the subtree of the unit ``scope``."""
        _check_owner(unit, operator)
        if scope is not None and operator is None:
            raise DirectoryError("only an operator token has a scope", code="directory.invalid")
        token = _new_token()
        row = TokenRow(
            id=secrets.token_hex(6),
            token_hash=hash_token(token),
            unit_code=unit,
            operator=operator,
            created_at=utcnow(),
            scope=scope,
        )
        async with self.db.session(write=True) as session:
            for code in (unit, scope):
                if code is not None and await session.get(UnitRow, code) is None:
                    raise UnknownUnitError(f"no unit {code}")
            session.add(row)
            await session.flush()
            await audit.append(
                session,
                actor,
                "token.created",
                unit=unit,
                detail={"token_id": row.id, "operator": operator, "scope": scope},
            )
        return token

    async def revoke(self, token_or_id: str, *, actor: str = "admin") -> str:
        """Revoke by token id or by the token itself; returns the id."""
        async with self.db.session(write=True) as session:
            query = select(TokenRow).where(
                or_(TokenRow.id == token_or_id, TokenRow.token_hash == hash_token(token_or_id))
            )
            row = (await session.execute(query)).scalars().first()
            if row is None:
                raise NotFoundError("no such token", code="directory.unknown_token")
            self._cache.pop(row.token_hash, None)
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                await audit.append(
                    session,
                    actor,
                    "token.revoked",
                    unit=row.unit_code,
                    detail={"token_id": row.id, "operator": row.operator},
                )
            return row.id

    async def authenticate(self, token: str) -> Principal:
        """The principal a token stands for; ``auth.invalid_token`` if unknown or revoked.

        Valid tokens are cached in this process for 15 s (keyed by the token's hash, at
        most 10,000 entries). ``revoke`` in this process clears the entry at once; a
        revocation made by another process (another hub worker, the CLI) takes effect
        here within the TTL.
        """
        wanted = hash_token(token)
        now = time.monotonic()
        cached = self._cache.get(wanted)
        if cached is not None:
            if cached[1] > now:
                return await self._active(cached[0])
            del self._cache[wanted]
        async with self.db.read() as session:
            row = (
                await session.execute(select(TokenRow).where(TokenRow.token_hash == wanted))
            ).scalar_one_or_none()
            if row is None or not equal_secrets(row.token_hash, wanted):
                raise AuthError("unknown or revoked token", code="auth.invalid_token")
            if row.revoked_at is not None:
                raise AuthError("unknown or revoked token", code="auth.invalid_token")
            principal = await _principal(session, row)
        self._remember(wanted, principal, now + _CACHE_TTL)
        return await self._active(principal)

    async def _active(self, principal: Principal) -> Principal:
        """``principal``, unless its unit is retired now (``auth.unit_retired``)."""
        unit = principal.unit
        if unit and self.lineage is not None and not await self.lineage.active(unit):
            raise AuthError(f"unit {unit} is retired or not yet valid", code="auth.unit_retired")
        return principal

    def _remember(self, key: str, principal: Principal, expires: float) -> None:
        """Cache a valid token's principal; drop the oldest entries beyond the bound."""
        self._cache[key] = (principal, expires)
        self._cache.move_to_end(key)
        while len(self._cache) > _CACHE_MAX:
            self._cache.popitem(last=False)

    async def id_of(self, token: str) -> str:
        """The id of a valid ``token`` (``auth.invalid_token`` otherwise); never cached."""
        query = select(TokenRow.id).where(
            TokenRow.token_hash == hash_token(token), TokenRow.revoked_at.is_(None)
        )
        async with self.db.read() as session:
            token_id = (await session.execute(query)).scalar_one_or_none()
        if token_id is None:
            raise AuthError("unknown or revoked token", code="auth.invalid_token")
        return token_id

    async def principal_by_id(self, token_id: str) -> Principal | None:
        """The principal of the token with this id, None when it is unknown or revoked:
        one read by primary key (and of the tree for a scope), never cached (a console
        session checks it on every request)."""
        async with self.db.read() as session:
            row = await session.get(TokenRow, token_id)
            if row is None or row.revoked_at is not None:
                return None
            return await _principal(session, row)

    async def is_active(self, token_id: str) -> bool:
        """Whether the token with this id exists and is not revoked: one read by primary
        key, never cached (a console session checks it on every request)."""
        query = select(TokenRow.revoked_at).where(TokenRow.id == token_id)
        async with self.db.read() as session:
            found = (await session.execute(query)).first()
        return found is not None and found[0] is None

    async def all(self) -> list[TokenInfo]:
        """Every token, oldest first."""
        async with self.db.read() as session:
            rows = (await session.execute(select(TokenRow).order_by(TokenRow.created_at))).scalars()
            return [
                TokenInfo(r.id, r.unit_code, r.operator, r.created_at, r.revoked_at, r.scope)
                for r in rows
            ]


async def _principal(session: AsyncSession, row: TokenRow) -> Principal:
    """Who a token row stands for; a scoped operator with its subtree read now."""
    if row.scope is None:
        return Principal(unit=row.unit_code, operator=row.operator)
    within = await subtree(session, row.scope)
    return Principal(operator=row.operator, scope=row.scope, within=within)


def _check_owner(unit: str | None, operator: str | None) -> None:
    if (unit is None) == (operator is None):
        raise DirectoryError(
            "a token belongs to exactly one unit or one operator", code="directory.invalid"
        )
    if operator is not None and (
        not operator.strip() or len(operator) > _OPERATOR_MAX or not operator.isprintable()
    ):
        raise DirectoryError(f"bad operator name {operator!r}", code="directory.invalid")
