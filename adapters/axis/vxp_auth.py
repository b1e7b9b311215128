"""Who calls ``/vxp``: the SDK's signed header map, checked against the axis registrations.

The SDK's HMAC covers only its header map (``XroadVnpt-sign-header``), never the body and
never a fresh timestamp (``timestamp`` is fixed when the SDK's service object is made).
So, where the SDK is weak, the hub is strict:

- the MAC is compared in constant time, on bytes, before anything else is looked at;
- only the signed values are used, and every ``XroadVnpt-<key>`` header must say what the
  signed map says (``vxp.header_mismatch``);
- plain HTTP is refused (``vxp.insecure_transport``) except from loopback or for a system
  registered with ``allow_plain_http = true``: over TLS, a captured request cannot be
  replayed or altered;
- ``sendEdoc`` checks ``hash-file`` against the body (:mod:`adapters.axis.vxp_wire`).

Everything here reads headers only: a caller is known before its body is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from adapters.axis.systems import AxisSystem, AxisSystems
from adapters.axis.vxp_wire import HASH_HEADER, PREFIX, SIGN_HEADER, sign_header_mac
from gateway.errors import AuthError, ForbiddenError, GatewayError, RequestError
from gateway.facade import AdapterFacade
from gateway.untrusted import equal_secrets, parse_json

__all__ = ["MAX_SIGN_HEADER", "Operation", "VxpAuthenticator", "VxpCall", "VxpContext"]

MAX_SIGN_HEADER: Final = 16 * 1024
_SYSTEM_KEY: Final = "systemid"


@dataclass(frozen=True, slots=True)
class VxpCall:
    """An authenticated call: the system and its signed header map (keys without prefix)."""

    system: AxisSystem
    signed: Mapping[str, str]

    def get(self, key: str) -> str | None:
        """A signed value; the exact key first, then any spelling (``docId``/``docid``)."""
        if key in self.signed:
            return self.signed[key]
        lowered = key.lower()
        for name, value in self.signed.items():
            if name.lower() == lowered:
                return value
        return None


@dataclass(frozen=True, slots=True)
class VxpContext:
    """What an operation works with: the request, the hub, the call, the caller's units."""

    request: web.Request
    hub: AdapterFacade
    call: VxpCall
    units: list[str]  # the system's unit, and for a peer every unit below it

    def header(self, key: str) -> str | None:
        """A signed header value, stripped; None when absent or empty."""
        value = self.call.get(key)
        return value.strip() or None if value is not None else None


#: A VXP operation: a JSON answer, or a response of its own (``downloadEdoc``).
Operation = Callable[[VxpContext], Awaitable[dict[str, Any] | web.StreamResponse]]


def _raw(value: str) -> bytes:
    """A header value's bytes as they came (aiohttp decodes UTF-8 with surrogateescape)."""
    return value.encode("utf-8", "surrogateescape")


def _parse_sign_header(raw: bytes) -> dict[str, str]:
    try:
        data = parse_json(raw, SIGN_HEADER)
    except GatewayError as exc:
        raise RequestError(f"{SIGN_HEADER} is not JSON", code="vxp.bad_sign_header") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k.startswith(PREFIX) and isinstance(v, str) for k, v in data.items()
    ):
        raise RequestError(
            f"{SIGN_HEADER} must map {PREFIX}* names to strings", code="vxp.bad_sign_header"
        )
    return {k[len(PREFIX) :]: v for k, v in data.items()}


def _is_loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote).is_loopback
    except ValueError:
        return False


@dataclass
class VxpAuthenticator:
    """Checks the SDK's signed headers against the registered axis systems."""

    systems: AxisSystems

    def __call__(self, request: web.Request) -> VxpCall:
        """The call, or a typed ``vxp.*`` / ``axis.*`` / ``auth.required`` error."""
        header = request.headers.get(SIGN_HEADER)
        if header is None or HASH_HEADER not in request.headers:
            raise AuthError(f"{SIGN_HEADER} and {HASH_HEADER} are required", code="auth.required")
        raw = _raw(header)
        if len(raw) > MAX_SIGN_HEADER:
            raise RequestError(f"{SIGN_HEADER} is too long", code="vxp.bad_sign_header")
        signed = _parse_sign_header(raw)
        system = self.systems.get(signed.get(_SYSTEM_KEY, ""))
        given = _raw(request.headers[HASH_HEADER]).strip().lower()
        if not equal_secrets(given, sign_header_mac(system.secret, raw)):
            raise AuthError(f"{HASH_HEADER} does not match", code="vxp.bad_signature")
        _check_headers(request, signed)
        _check_transport(request, system)
        return VxpCall(system, signed)


def _check_headers(request: web.Request, signed: Mapping[str, str]) -> None:
    """Each ``XroadVnpt-<key>`` header sent must carry a signed value of that name.

    HTTP names are case-insensitive while the SDK's map is not (``docId`` and ``docid``
    can both ride along), so values are compared per case-folded name.
    """
    allowed: dict[str, set[str]] = {}
    for key, value in signed.items():
        allowed.setdefault(key.lower(), set()).add(value.strip())
    for key, values in allowed.items():
        for sent in request.headers.getall(PREFIX + key, []):
            if sent.strip() not in values:
                raise AuthError(
                    f"{PREFIX}{key} differs from the signed value", code="vxp.header_mismatch"
                )


def _check_transport(request: web.Request, system: AxisSystem) -> None:
    if request.secure or system.allow_plain_http or _is_loopback(request.remote):
        return
    raise ForbiddenError(
        "the VXP protocol does not protect the body; use HTTPS", code="vxp.insecure_transport"
    )
