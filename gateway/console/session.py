"""Operator sessions for the console: an HMAC-signed cookie and a CSRF token per session.

The cookie holds ``operator|issued_at|csrf`` signed with a per-hub secret; it is
``HttpOnly; Secure; SameSite=Strict``. Every form carries the session's CSRF token and
every POST is checked against it (``auth.csrf``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from gateway.errors import AuthError, ForbiddenError
from gateway.untrusted import equal_secrets

COOKIE = "lienthong_console"
MAX_AGE = 8 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    """A logged-in operator."""

    operator: str
    issued_at: int
    csrf: str


class SessionCodec:
    """Signs and reads session cookies with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def from_home(cls, home: Path) -> SessionCodec:
        """Load (or create, mode 0600) the cookie secret kept in the hub's home."""
        path = home / "console.secret"
        if not path.exists():
            home.mkdir(parents=True, exist_ok=True)
            fd = _create_private(path)
            with open(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        return cls(path.read_bytes())

    def issue(self, operator: str) -> tuple[str, ConsoleSession]:
        """A new session for ``operator`` and the cookie value that carries it."""
        session = ConsoleSession(operator, int(time.time()), secrets.token_urlsafe(24))
        payload = f"{session.operator}|{session.issued_at}|{session.csrf}".encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        return base64.urlsafe_b64encode(payload).decode() + "." + mac, session

    def read(self, cookie: str | None) -> ConsoleSession:
        """The session in ``cookie``; ``auth.required`` if absent, forged or too old."""
        if not cookie or "." not in cookie:
            raise AuthError("please log in", code="auth.required")
        encoded, mac = cookie.rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(encoded.encode())
        except ValueError as exc:
            raise AuthError("bad session", code="auth.required") from exc
        expected = hmac.new(self._secret, payload, hashlib.sha256).hexdigest()
        if not equal_secrets(mac, expected):
            raise AuthError("bad session", code="auth.required")
        operator, issued, csrf = payload.decode().split("|", 2)
        if time.time() - int(issued) > MAX_AGE:
            raise AuthError("session expired", code="auth.required")
        return ConsoleSession(operator, int(issued), csrf)


def set_cookie(response: web.StreamResponse, value: str) -> None:
    """Attach the session cookie with the strict attributes."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        secure=True,
        samesite="Strict",
        path="/console",
    )


async def check_csrf(request: web.Request, session: ConsoleSession) -> None:
    """Refuse a POST whose form token differs from the session's (``auth.csrf``)."""
    form = await request.post()
    token = form.get("csrf")
    if not isinstance(token, str) or not equal_secrets(token, session.csrf):
        raise ForbiddenError("CSRF token missing or wrong", code="auth.csrf")


def _create_private(path: Path) -> int:
    import os

    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
