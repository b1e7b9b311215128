"""Operator sessions for the console: an HMAC-signed cookie and a CSRF token per session.

The cookie holds ``token_id|issued_at|csrf|operator`` signed with a per-hub secret; it is
``HttpOnly; Secure; SameSite=Strict``. The session lasts while the operator token it was
opened with is not revoked (the console checks it on every request). Every form carries
the session's CSRF token and every POST is checked against it (``auth.csrf``); a POST
from a page of another origin (``Origin``, else ``Referer``) is refused, the login too,
so another site cannot log a browser into a session of its choosing (login CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from gateway.errors import AuthError, CsrfError
from gateway.untrusted import equal_secrets

COOKIE = "lienthong_console"
MAX_AGE = 8 * 3600


@dataclass(frozen=True)
class ConsoleSession:
    """A logged-in operator, and the id of the token the session was opened with."""

    operator: str
    issued_at: int
    csrf: str
    token_id: str = ""


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

    def issue(self, operator: str, token_id: str = "") -> tuple[str, ConsoleSession]:
        """A new session for ``operator`` (opened with token ``token_id``) and its cookie."""
        session = ConsoleSession(operator, int(time.time()), secrets.token_urlsafe(24), token_id)
        payload = f"{token_id}|{session.issued_at}|{session.csrf}|{operator}".encode()
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
        fields = payload.decode().split("|", 3)
        if len(fields) != 4:  # a cookie of an older hub version
            raise AuthError("please log in again", code="auth.required")
        token_id, issued, csrf, operator = fields
        if time.time() - int(issued) > MAX_AGE:
            raise AuthError("session expired", code="auth.required")
        return ConsoleSession(operator, int(issued), csrf, token_id)


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
    check_same_origin(request)
    form = await request.post()
    token = form.get("csrf")
    if not isinstance(token, str) or not equal_secrets(token, session.csrf):
        raise CsrfError("CSRF token missing or wrong")


def check_same_origin(request: web.Request) -> None:
    """Refuse a POST sent by a page of another origin (``auth.csrf``).

    Browsers send ``Origin`` with every cross-site POST (``null`` from sandboxed or
    no-referrer pages), else a ``Referer``: either must name this hub's host, as the
    request's ``Host`` or a proxy's ``X-Forwarded-Host`` gives it. A request with neither
    header does not come from a web page (a script), so it is left to the other checks.
    """
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return
    forwarded = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    hosts = {h.lower() for h in (request.host, forwarded) if h}
    try:
        host = urlsplit(source).netloc.lower()
    except ValueError:
        host = ""
    if not host or host not in hosts:
        raise CsrfError("the form was sent from another site; open the console's own page")


def _create_private(path: Path) -> int:
    import os

    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
