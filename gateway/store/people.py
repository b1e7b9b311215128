"""The clerks' own accounts of a unit (``people``): a username and a password for the web
mailbox, created, disabled and enabled by an administrator (``lienthong users``).

Each change is written in one transaction with its audit entry (actor: who made it).
A login that fails counts against the account; after :data:`MAX_FAILURES` wrong
passwords in a row the account is locked for :data:`LOCK_SECONDS` (a right password
then is refused too), and a right password before that clears the count. What a person
does in the mailbox is written to the audit log with the actor ``person:<unit>/<username>``
(:func:`attribute`), beside the unit's own entry for the same change.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import ConflictError, DirectoryError, NotFoundError
from gateway.store import audit
from gateway.store.models import PersonRow, UnitRow, utcnow
from gateway.store.records import PERSON_PREFIX

__all__ = [
    "LOCK_SECONDS",
    "MAX_FAILURES",
    "Person",
    "add",
    "attribute",
    "by_username",
    "get",
    "listing",
    "login_failed",
    "login_succeeded",
    "names_of",
    "set_disabled",
]

#: Wrong passwords in a row that lock an account.
MAX_FAILURES: Final = 5
#: How long a locked account stays locked.
LOCK_SECONDS: Final = 15 * 60


@dataclass(frozen=True)
class Person:
    """An account as the rest of the hub sees it (never the hash)."""

    id: str
    username: str
    unit: str
    full_name: str | None
    created_at: datetime
    disabled: bool
    locked_until: datetime | None

    @property
    def actor(self) -> str:
        """The audit log's name for this person: ``person:<unit>/<username>``."""
        return f"{PERSON_PREFIX}{self.unit}/{self.username}"

    def locked(self, now: datetime | None = None) -> bool:
        """Whether too many wrong passwords keep the account locked at ``now``."""
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def to_json(self) -> dict[str, Any]:
        """The account for ``lienthong users list --json``."""
        return {
            "id": self.id,
            "username": self.username,
            "unit": self.unit,
            "full_name": self.full_name,
            "created_at": self.created_at.isoformat(),
            "disabled": self.disabled,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
        }


def _person(row: PersonRow) -> Person:
    return Person(
        row.id, row.username, row.unit_code, row.full_name, row.created_at,
        row.disabled_at is not None, row.locked_until,
    )  # fmt: skip


async def add(
    db: Any, unit: str, username: str, password_hash: str, full_name: str | None, actor: str
) -> Person:
    """A new account of ``unit`` (``directory.unknown_unit``; ``person.exists``)."""
    row = PersonRow(
        id=secrets.token_hex(8), username=username, unit_code=unit, full_name=full_name,
        password_hash=password_hash, created_at=utcnow(), failures=0,
    )  # fmt: skip
    async with db.session(write=True) as session:
        if await session.get(UnitRow, unit) is None:
            raise DirectoryError(f"no unit {unit}", code="directory.unknown_unit")
        if await _row(session, username) is not None:
            raise ConflictError(f"the username {username} is taken", code="person.exists")
        session.add(row)
        await session.flush()
        detail = {"person": row.id, "username": username}
        await audit.append(session, actor, "person.added", None, unit, detail)
    return _person(row)


async def set_disabled(db: Any, username: str, disabled: bool, actor: str) -> Person:
    """Disable an account (its sessions end) or enable it again (and unlock it)."""
    async with db.session(write=True) as session:
        row = await _row(session, username)
        if row is None:
            raise NotFoundError(f"no account {username}", code="person.not_found")
        row.disabled_at = (row.disabled_at or utcnow()) if disabled else None
        if not disabled:
            row.failures, row.locked_until = 0, None
        action = "person.disabled" if disabled else "person.enabled"
        detail = {"person": row.id, "username": username}
        await audit.append(session, actor, action, None, row.unit_code, detail)
        return _person(row)


async def listing(db: Any, unit: str | None = None) -> list[Person]:
    """Every account (of ``unit``), by unit then username."""
    query = select(PersonRow).order_by(PersonRow.unit_code, PersonRow.username)
    if unit is not None:
        query = query.where(PersonRow.unit_code == unit)
    async with db.read() as session:
        return [_person(r) for r in (await session.execute(query)).scalars()]


async def by_username(db: Any, username: str) -> tuple[Person, str] | None:
    """The account and its password hash, or None."""
    async with db.read() as session:
        row = await _row(session, username)
        return None if row is None else (_person(row), row.password_hash)


async def names_of(db: Any, actors: Iterable[str]) -> dict[str, str]:
    """Each ``person:<unit>/<username>`` among ``actors`` → the person's full name (their
    username when the account has none); an account no longer there is left out."""
    wanted: dict[tuple[str, str], str] = {}
    for actor in actors:
        unit, _, username = actor.removeprefix(PERSON_PREFIX).partition("/")
        if actor.startswith(PERSON_PREFIX) and username:
            wanted[(unit, username)] = actor
    if not wanted:
        return {}
    names = {username for _unit, username in wanted}
    query = select(PersonRow).where(PersonRow.username.in_(names))
    async with db.read() as session:
        rows = (await session.execute(query)).scalars()
        return {
            wanted[(r.unit_code, r.username)]: r.full_name or r.username
            for r in rows
            if (r.unit_code, r.username) in wanted
        }


async def get(db: Any, person_id: str) -> Person | None:
    """The account with this id, or None."""
    async with db.read() as session:
        row = await session.get(PersonRow, person_id)
        return None if row is None else _person(row)


async def login_failed(db: Any, person: Person) -> Person:
    """Count a wrong password; the :data:`MAX_FAILURES`-th in a row locks the account."""
    async with db.session(write=True) as session:
        row = await session.get(PersonRow, person.id)
        if row is None:
            return person
        row.failures += 1
        if row.failures >= MAX_FAILURES:
            row.failures, row.locked_until = 0, utcnow() + timedelta(seconds=LOCK_SECONDS)
            detail = {"person": row.id, "until": row.locked_until.isoformat()}
            await audit.append(session, "hub", "person.locked", None, row.unit_code, detail)
        return _person(row)


async def login_succeeded(db: Any, person: Person) -> None:
    """A right password: the count of wrong ones starts again, the login is audited."""
    async with db.session(write=True) as session:
        row = await session.get(PersonRow, person.id)
        if row is not None:
            row.failures = 0
            await audit.append(session, person.actor, "person.login", None, person.unit, {})


async def attribute(
    db: Any, person: Person, action: str, message_id: str | None, detail: dict[str, Any]
) -> None:
    """Write that ``person`` did ``action`` (``mailbox.sent``, ``mailbox.answered`` …)."""
    async with db.session(write=True) as session:
        await audit.append(session, person.actor, action, message_id, person.unit, detail)


async def _row(session: AsyncSession, username: str) -> PersonRow | None:
    found = await session.execute(select(PersonRow).where(PersonRow.username == username))
    return found.scalars().first()
