"""Who calls the axis API: an HMAC-signed request, or an axis bearer token.

The hub API's own middleware only guards ``/api/v1/``; ``/axis/`` requests are
authenticated here, inside each handler, because the signature covers the body.

Replays: a signed request is accepted within ``WINDOW_SECONDS`` of its timestamp, and
each (system, nonce) only once in that window (remembered per hub process; with several hub
processes behind a balancer a replay could reach another process inside the window —
the window is short and every write is idempotent by message or receipt id anyway).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from adapters.axis.signing import (
    NONCE_HEADER,
    SIGNATURE_HEADER,
    SYSTEM_HEADER,
    TIMESTAMP_HEADER,
    sign_request,
    token_subject,
    verify_token,
)
from adapters.axis.systems import AxisSystem, AxisSystems
from gateway.errors import AuthError
from gateway.untrusted import equal_secrets, header_text

__all__ = ["WINDOW_SECONDS", "AxisAuthenticator", "Claim", "ReplayGuard"]

WINDOW_SECONDS: Final = 300
_BEARER: Final = "bearer "
_MAX_REMEMBERED: Final = 200_000
_NONCE_RE: Final = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Unix seconds in ASCII digits (``int`` would also take ``²`` or 5,000 digits).
_STAMP_RE: Final = re.compile(r"[0-9]{1,12}")


class ReplayGuard:
    """Nonces seen in the last window; a second use is ``axis.replayed``."""

    def __init__(self, window: float, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self._clock = clock
        self._seen: dict[str, float] = {}

    def check(self, signature: str) -> None:
        """Remember ``signature`` (a nonce key); refuse it if seen inside the window."""
        now = self._clock()
        if len(self._seen) > _MAX_REMEMBERED:
            self._seen = {s: t for s, t in self._seen.items() if t > now}
        expiry = self._seen.get(signature)
        if expiry is not None and expiry > now:
            raise AuthError("this signed request was already used", code="axis.replayed")
        self._seen[signature] = now + 2 * self.window


@dataclass(frozen=True, slots=True)
class Claim:
    """Who a request says it is, checked as far as possible before its body is read: a
    bearer token fully; a signed request's system, timestamp and nonce (the signature
    covers the body, so it is checked by :meth:`AxisAuthenticator.confirm`)."""

    system: AxisSystem
    stamp: str = ""
    nonce: str = ""
    signature: str | None = None


@dataclass
class AxisAuthenticator:
    """Checks a request's credentials against the registered systems."""

    systems: AxisSystems
    window: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.replays = ReplayGuard(self.window, self.clock)

    def __call__(self, request: web.Request, body: bytes) -> AxisSystem:
        """The calling system, or a typed ``axis.*`` / ``auth.required`` error."""
        return self.confirm(self.claim(request), request, body)

    def claim(self, request: web.Request) -> Claim:
        """Everything that can be checked without the body (see :class:`Claim`)."""
        header = header_text(request.headers.get("Authorization"), "Authorization")
        if header is not None:
            return Claim(self.bearer(header))
        if SIGNATURE_HEADER in request.headers:
            return self._signed_claim(request)
        raise AuthError("axis credentials are required", code="auth.required")

    def confirm(self, claim: Claim, request: web.Request, body: bytes) -> AxisSystem:
        """The claimed system once a signed request's signature over ``body`` matches."""
        if claim.signature is None:
            return claim.system
        system = claim.system
        wanted = sign_request(
            system.secret, request.method, request.raw_path, claim.stamp, claim.nonce, body
        )
        if not equal_secrets(claim.signature, wanted):
            raise AuthError("the request signature does not match", code="axis.bad_signature")
        self.replays.check(f"{system.system_id}|{claim.nonce}")
        return system

    def bearer(self, header: str) -> AxisSystem:
        """The system of an ``Authorization: Bearer ax1.…`` header."""
        if not header.lower().startswith(_BEARER):
            raise AuthError("not a Bearer token", code="axis.invalid_token")
        token = header[len(_BEARER) :].strip()
        system = self.systems.get(token_subject(token))
        verify_token(token, system.secret, self.clock())
        return system

    def signed(self, request: web.Request, body: bytes) -> AxisSystem:
        """The system of an HMAC-signed request."""
        return self.confirm(self._signed_claim(request), request, body)

    def _signed_claim(self, request: web.Request) -> Claim:
        headers = request.headers
        system = self.systems.get(header_text(headers.get(SYSTEM_HEADER), SYSTEM_HEADER) or "")
        stamp = header_text(headers.get(TIMESTAMP_HEADER), TIMESTAMP_HEADER) or ""
        if not _STAMP_RE.fullmatch(stamp) or abs(int(stamp) - self.clock()) > self.window:
            raise AuthError(
                f"{TIMESTAMP_HEADER} is missing or more than {int(self.window)} s off",
                code="axis.timestamp_out_of_window",
            )
        nonce = headers.get(NONCE_HEADER, "")
        if not _NONCE_RE.fullmatch(nonce):
            raise AuthError(f"{NONCE_HEADER} is missing or malformed", code="axis.bad_signature")
        given = header_text(headers.get(SIGNATURE_HEADER), SIGNATURE_HEADER) or ""
        return Claim(system, stamp, nonce, given.strip().lower())

    def client_credentials(self, client_id: str, client_secret: str) -> AxisSystem:
        """The system whose id and secret these are (``axis.invalid_client``)."""
        try:
            system = self.systems.get(client_id)
        except AuthError as exc:
            raise AuthError("unknown client or wrong secret", code="axis.invalid_client") from exc
        if not equal_secrets(client_secret, system.secret):
            raise AuthError("unknown client or wrong secret", code="axis.invalid_client")
        return system
