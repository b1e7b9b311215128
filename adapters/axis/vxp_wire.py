"""The VXP wire (VNPT's SDKVXP 2.0.x, ``com.vpcp.services``): headers, HMAC, answers.

What the SDK sends on every call to ``endpoint + "/" + operation``:

- every key ``k`` of the service object's header map as an HTTP header ``XroadVnpt-k``
  (the map keeps keys from earlier calls; ``timestamp`` is set once, when the service
  object is made, as ``ddMMyyyy'T'HHmmss+SSSS``; ``systemid`` comes from the config);
- ``XroadVnpt-sign-header``: a JSON object of exactly those ``XroadVnpt-k`` headers
  (Gson, in Java ``HashMap`` order), ``XroadVnpt-sign-header-key``: the keys joined with
  ``;``, and ``XroadVnpt-hash-header``: the lowercase hex HMAC-SHA256 of the sign-header's
  UTF-8 bytes, keyed with the secret's UTF-8 bytes;
- ``XroadVnpt-version`` and ``User-Agent``.

``sendEdoc`` posts the raw edXML file followed by ``"\\r\\n"`` (``MultipartUtility`` writes no
part headers and no closing boundary), and puts ``hash-file`` in the header map: the
file's SHA-256 with every byte written by ``Integer.toHexString`` — so without leading
zeros. Every answer is JSON with ``status`` (``OK`` / ``FAIL``), ``ErrorCode`` (``"0"`` is
success) and ``ErrorDesc``, plus the operation's own fields.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

from gateway.untrusted import equal_secrets

__all__ = [
    "HASH_HEADER",
    "PREFIX",
    "SIGN_HEADER",
    "SIGN_HEADER_KEY",
    "fail_answer",
    "java_hex",
    "matching_file",
    "ok_answer",
    "sign_header_mac",
]

PREFIX: Final = "XroadVnpt-"
SIGN_HEADER: Final = "XroadVnpt-sign-header"
SIGN_HEADER_KEY: Final = "XroadVnpt-sign-header-key"
HASH_HEADER: Final = "XroadVnpt-hash-header"
VERSION_HEADER: Final = "XroadVnpt-version"
#: Fields a failing answer still carries, so the SDK's parser reads the error instead of
#: throwing (``sendEdoc`` reads ``DocId`` whatever the status).
_FAIL_DEFAULTS: Final[dict[str, dict[str, Any]]] = {"sendEdoc": {"DocId": ""}}


def sign_header_mac(secret: str, sign_header: bytes) -> bytes:
    """The ``XroadVnpt-hash-header`` the SDK computes, as ASCII hex bytes."""
    return hmac.new(secret.encode(), sign_header, hashlib.sha256).hexdigest().encode()


def java_hex(digest: bytes) -> str:
    """A digest as the SDK's ``createContentHA256`` writes it (no leading zeros per byte)."""
    return "".join(format(b, "x") for b in digest)


def matching_file(hash_file: str, body: bytes) -> bytes | None:
    """The edXML bytes ``hash-file`` names: the body, or the body less the SDK's CRLF."""
    given = hash_file.strip().lower().encode()
    candidates = (body[:-2], body) if body.endswith(b"\r\n") else (body,)
    for data in candidates:
        digest = hashlib.sha256(data).digest()
        for form in (java_hex(digest), digest.hex()):
            if equal_secrets(given, form.encode()):
                return data
    return None


def ok_answer(**fields: Any) -> dict[str, Any]:
    """A successful answer."""
    return {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success", **fields}


def fail_answer(operation: str, http_status: int, code: str, message: str) -> dict[str, Any]:
    """A refusal in the SDK's shape; the hub's stable code leads ``ErrorDesc``."""
    return {
        "status": "FAIL",
        "ErrorCode": str(http_status),
        "ErrorDesc": f"{code}: {message}",
        **_FAIL_DEFAULTS.get(operation, {}),
    }
