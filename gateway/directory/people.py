"""Clerks' own accounts of a unit: who may log in to the web mailbox with a username and
a password, and who did what there.

A unit's token stays a way in; an account adds a person to it. Passwords are hashed with
scrypt (:mod:`gateway.directory.passwords`) in a worker thread; a wrong password counts
against the account and locks it for a while (:mod:`gateway.store.people`). A login is
refused the same way (``auth.invalid_password``) for an unknown username, a wrong
password and a disabled account, so that accounts cannot be probed; only a locked
account says so (``auth.account_locked``, 429) once its password was guessed wrong.
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any, Final

from gateway.directory.passwords import check_strength, hash_password, verify_password
from gateway.errors import AuthError, DirectoryError, LimitError
from gateway.store import people as store
from gateway.store.models import utcnow
from gateway.store.people import Person

__all__ = ["People", "Person"]

#: Letters, digits, dot, dash, underscore; 3 to 100 characters.
_USERNAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,99}")


class People:
    """Create, disable, list and check the clerks' accounts."""

    def __init__(self, db: Any) -> None:
        self.db = db

    async def add(
        self, unit: str, username: str, password: str, *, full_name: str | None, actor: str
    ) -> Person:
        """A new account of ``unit`` (``directory.invalid`` for a bad username or a
        password shorter than :data:`~gateway.directory.passwords.MIN_LENGTH`)."""
        if not _USERNAME.fullmatch(username):
            raise DirectoryError(
                "a username is 3-100 letters, digits, '.', '-' or '_'", code="directory.invalid"
            )
        try:
            check_strength(password)
        except ValueError as exc:
            raise DirectoryError(str(exc), code="directory.invalid") from None
        hashed = await asyncio.to_thread(hash_password, password)
        return await store.add(self.db, unit, username.lower(), hashed, full_name, actor)

    async def disable(self, username: str, *, actor: str) -> Person:
        """Disable an account: it logs in no more, and its sessions end."""
        return await store.set_disabled(self.db, username.lower(), True, actor)

    async def enable(self, username: str, *, actor: str) -> Person:
        """Enable an account again (and lift a lock)."""
        return await store.set_disabled(self.db, username.lower(), False, actor)

    async def list(self, unit: str | None = None) -> list[Person]:
        """Every account, or those of ``unit``."""
        return await store.listing(self.db, unit)

    async def authenticate(self, username: str, password: str) -> Person:
        """The account whose password this is (``auth.invalid_password``; a locked account
        ``auth.account_locked``)."""
        found = await store.by_username(self.db, username.strip().lower()[:100])
        person, hashed = found if found is not None else (None, None)
        right = await asyncio.to_thread(verify_password, password, hashed)
        if person is None or person.disabled:
            raise _wrong()
        if person.locked():
            raise _locked(person)
        if not right:
            if (await store.login_failed(self.db, person)).locked():
                raise _locked(person)
            raise _wrong()
        await store.login_succeeded(self.db, person)
        return person

    async def active(self, person_id: str) -> Person | None:
        """The account of a session, while it is enabled (None once disabled)."""
        person = await store.get(self.db, person_id)
        return person if person is not None and not person.disabled else None

    async def attribute(
        self, person: Person, action: str, message_id: str | None = None, **detail: Any
    ) -> None:
        """Write to the audit log that ``person`` did ``action``."""
        await store.attribute(self.db, person, action, message_id, detail)


def _wrong() -> AuthError:
    return AuthError("wrong username or password", code="auth.invalid_password")


def _locked(person: Person) -> LimitError:
    wait = (person.locked_until - utcnow()).total_seconds() if person.locked_until else 0
    error = LimitError(
        "too many wrong passwords: the account is locked for a while",
        code="auth.account_locked",
        http_status=429,
    )
    error.headers = {"Retry-After": str(max(1, math.ceil(wait)))}  # type: ignore[attr-defined]
    return error
