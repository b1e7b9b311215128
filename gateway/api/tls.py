"""TLS for the hub's listener: server certificate, and client certificates from the hub CA.

Client certificates are optional at the TLS layer (a bearer token works too); when one is
presented it must chain to the hub CA, and the hub then maps it to a unit through its
trust store (revocation, validity) — see :func:`gateway.api.auth.client_certificate`.
"""

from __future__ import annotations

import ssl
from pathlib import Path

__all__ = ["server_ssl_context"]


def server_ssl_context(cert: str | Path, key: str | Path, ca: str | Path) -> ssl.SSLContext:
    """A TLS 1.2+ server context presenting ``cert``/``key``, verifying clients against ``ca``.

    ``key`` must be an unencrypted PEM file outside the repository.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(cert), keyfile=str(key))
    context.verify_mode = ssl.CERT_OPTIONAL
    return context
