"""Request signatures and bearer tokens of the axis API (see ``docs/axis-api.md``).

A signed request carries ``X-Axis-SystemId``, ``X-Axis-Timestamp`` (Unix seconds),
``X-Axis-Nonce`` (16-64 characters of ``[A-Za-z0-9_-]``, fresh for every request) and
``X-Axis-Signature``: the lowercase hex HMAC-SHA256, keyed with the system's secret, of::

    METHOD "\\n" PATH_AND_QUERY "\\n" TIMESTAMP "\\n" NONCE "\\n" hex(SHA-256(body))

A bearer token (OAuth2 client credentials) is ``ax1.<payload>.<mac>``: the payload is
base64url JSON ``{"sub": system_id, "exp": unix_seconds, "jti": random}``, the mac the
base64url HMAC-SHA256 of ``"axis-token|" + payload`` under the system's secret. Tokens
are therefore checked without any shared state between hub processes, and changing a
system's secret revokes its tokens.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import Final

from gateway.errors import AuthError, GatewayError
from gateway.untrusted import equal_secrets, parse_json

__all__ = [
    "NONCE_HEADER",
    "SIGNATURE_HEADER",
    "SYSTEM_HEADER",
    "TIMESTAMP_HEADER",
    "canonical_request",
    "mint_token",
    "sign_request",
    "signed_headers",
    "token_subject",
    "verify_token",
]

SYSTEM_HEADER: Final = "X-Axis-SystemId"
TIMESTAMP_HEADER: Final = "X-Axis-Timestamp"
SIGNATURE_HEADER: Final = "X-Axis-Signature"
NONCE_HEADER: Final = "X-Axis-Nonce"
_TOKEN_PREFIX: Final = "ax1"  # noqa: S105 (a format tag, not a secret)
_TOKEN_CONTEXT: Final = b"axis-token|"


def canonical_request(method: str, path_qs: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """The bytes a request signature covers."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path_qs}\n{timestamp}\n{nonce}\n{digest}".encode()


def sign_request(
    secret: str, method: str, path_qs: str, timestamp: str, nonce: str, body: bytes
) -> str:
    """The hex HMAC-SHA256 signature of one request."""
    message = canonical_request(method, path_qs, timestamp, nonce, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(
    system_id: str, secret: str, method: str, path_qs: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The four headers that authenticate one request."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_urlsafe(18)
    signature = sign_request(secret, method, path_qs, timestamp, nonce, body)
    return {
        SYSTEM_HEADER: system_id,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature,
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _bad_token() from exc


def _mac(secret: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), _TOKEN_CONTEXT + payload.encode(), hashlib.sha256)
    return _b64(mac.digest())


def mint_token(system_id: str, secret: str, ttl: int, now: float | None = None) -> str:
    """A bearer token for ``system_id`` valid ``ttl`` seconds."""
    issued = int(time.time() if now is None else now)
    claims = {"sub": system_id, "exp": issued + ttl, "jti": secrets.token_hex(8)}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{_TOKEN_PREFIX}.{payload}.{_mac(secret, payload)}"


def _bad_token() -> AuthError:
    return AuthError("the axis bearer token is invalid", code="axis.invalid_token")


def _claims(token: str) -> tuple[str, str, dict[str, object]]:
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _TOKEN_PREFIX:
        raise _bad_token()
    try:
        claims = parse_json(_unb64(parts[1]), "the token payload")
    except GatewayError as exc:
        raise _bad_token() from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str):
        raise _bad_token()
    return parts[1], parts[2], claims


def token_subject(token: str) -> str:
    """The system id a token claims (not yet verified)."""
    return str(_claims(token)[2]["sub"])


def verify_token(token: str, secret: str, now: float | None = None) -> str:
    """The system id of a valid, unexpired token; ``axis.invalid_token`` otherwise."""
    payload, mac, claims = _claims(token)
    if not equal_secrets(mac, _mac(secret, payload)):
        raise _bad_token()
    expires = claims.get("exp")
    if not isinstance(expires, int) or expires < (time.time() if now is None else now):
        raise AuthError("the axis bearer token has expired", code="axis.token_expired")
    return str(claims["sub"])
