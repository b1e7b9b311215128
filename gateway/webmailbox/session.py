"""Unit sessions for the web mailbox: the console's signed cookie, with its own secret.

A clerk trades the unit's token for a cookie (``lienthong_mailbox``, path ``/mailbox``,
``HttpOnly; Secure; SameSite=Strict``) holding the unit code, the id of the token and a
CSRF token, HMAC-signed like the console's (:class:`gateway.console.session.SessionCodec`)
but with a secret of its own (``mailbox.secret`` in the hub's home): a mailbox cookie
copied into the console's cookie is not a valid operator session, and the reverse.
The session lasts while the unit token is not revoked (checked on every request).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from gateway.console.session import MAX_AGE, SessionCodec
from gateway.directory.principal import Principal
from gateway.facade.console import PersonLike

__all__ = [
    "COOKIE", "PATH", "MailboxCodec", "UnitSession", "person_of_session", "person_session_id",
    "set_cookie",
]  # fmt: skip

COOKIE = "lienthong_mailbox"
PATH = "/mailbox"
_SECRET_FILE = "mailbox.secret"  # noqa: S105 (a file name, not a secret)
#: A session of a clerk's own account holds ``person:<account id>`` where a unit token's
#: session holds the token's id (hexadecimal: the two never meet).
_PERSON = "person:"


def person_session_id(person_id: str) -> str:
    """What a clerk's session holds in place of a token id."""
    return _PERSON + person_id


def person_of_session(session_id: str) -> str | None:
    """The account id of a clerk's session, or None for a unit token's session."""
    return session_id[len(_PERSON) :] if session_id.startswith(_PERSON) else None


@dataclass(frozen=True)
class UnitSession:
    """A logged-in unit: its principal (what the hub authorises) and the form token;
    ``person`` when a clerk logged in with their own account (what the audit log names)."""

    principal: Principal
    csrf: str
    token_id: str
    name: str = ""
    person: PersonLike | None = None

    @property
    def unit(self) -> str:
        """The unit's code."""
        return str(self.principal.unit)


class MailboxCodec(SessionCodec):
    """The console's cookie codec keyed with the mailbox's own secret."""

    @classmethod
    def for_home(cls, home: Path) -> MailboxCodec:
        """Load (or create, mode 0600) ``mailbox.secret`` in the hub's home."""
        path = home / _SECRET_FILE
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another hub process on this home wrote it first
                fd = -1
            if fd >= 0:
                with open(fd, "wb") as fh:
                    fh.write(secrets.token_bytes(32))
        # a distinct key even if someone copied the console's secret file over this one
        return cls(hashlib.sha256(b"lienthong-mailbox\0" + path.read_bytes()).digest())


def set_cookie(response: web.StreamResponse, value: str) -> None:
    """Attach the session cookie with the strict attributes, for ``/mailbox`` only."""
    response.set_cookie(
        COOKIE, value, max_age=MAX_AGE, httponly=True, secure=True, samesite="Strict", path=PATH
    )
