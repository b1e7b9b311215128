"""Who is calling: a bearer token, or a TLS client certificate issued by the hub CA.

Every route under ``/api/v1`` needs a caller; the probes (``/healthz``, ``/readyz``,
``/metrics``) and the OpenAPI document do not. What the caller may see is decided by the
hub facade, not here.
"""

from __future__ import annotations

import ssl
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler
from cryptography import x509

from gateway.api.context import PRINCIPAL, hub_of
from gateway.errors import AuthError
from gateway.untrusted import header_text

__all__ = ["PROTECTED_PREFIX", "auth_middleware", "bearer_token", "client_certificate"]

#: Routes under this prefix need an authenticated caller.
PROTECTED_PREFIX: Final = "/api/v1/"
_BEARER: Final = "bearer "


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, ``None`` if absent.

    A header present but not a well-formed bearer credential is ``auth.invalid_token``.
    """
    if header is None:
        return None
    if not header.lower().startswith(_BEARER):
        raise AuthError("the Authorization header is not a Bearer token", code="auth.invalid_token")
    token = header[len(_BEARER) :].strip()
    if not token:
        raise AuthError("the bearer token is empty", code="auth.invalid_token")
    return token


def client_certificate(request: web.Request) -> x509.Certificate | None:
    """The TLS client certificate the peer presented, if the connection is TLS and it did."""
    transport = request.transport
    if transport is None:
        return None
    ssl_object = transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject | ssl.SSLSocket):
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise AuthError("unreadable client certificate", code="auth.invalid_certificate") from exc


async def authenticate(request: web.Request) -> Any:
    """The principal of ``request``: bearer token first, else the TLS client certificate."""
    hub = hub_of(request)
    token = bearer_token(header_text(request.headers.get("Authorization"), "Authorization"))
    if token is not None:
        return await hub.authenticate_token(token)
    cert = client_certificate(request)
    if cert is not None:
        return await hub.authenticate_certificate(cert)
    raise AuthError("authentication required", code="auth.required")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate every ``/api/v1`` request before its handler runs."""
    if request.path.startswith(PROTECTED_PREFIX):
        principal = await authenticate(request)
        request[PRINCIPAL] = principal
        hub_of(request).last_seen(principal.unit)
    return await handler(request)
