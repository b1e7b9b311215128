"""Every error the gateway raises, in one hierarchy, each with a stable code.

::

    GatewayError                      gateway.error            500
    ├── XmlError                      xml.*                    400
    │   └── MalformedXmlError         xml.malformed            400
    ├── EnvelopeError                 envelope.*               422
    ├── SignatureError                signature.*              422
    ├── PkiError                      pki.*                    400
    │   └── NoSigningKeyError         pki.no_signing_key       400
    ├── DirectoryError                directory.*              422
    │   └── UnitExistsError           directory.unit_exists    422 (409 from a plan)
    ├── RoutingError                  routing.*                422
    ├── ReceiptError                  receipt.*                409
    │   ├── IllegalTransitionError    receipt.illegal_transition  409
    │   └── DocumentRevokedError      receipt.document_revoked    409
    ├── EdxmlError                    edxml.*                  422
    ├── AuthError                     auth.*                   401
    ├── ForbiddenError                *.forbidden              403
    │   └── CsrfError                 auth.csrf                403
    ├── NotFoundError                 *.not_found              404
    ├── ConflictError                 *.conflict               409
    │   └── DuplicateIdError          message.duplicate_id     409
    ├── LimitError                    limit.*                  413 / 429
    ├── ConfigError                   config.*                 500
    ├── RequestError                  request.*                400
    └── Recoverable                   (worth a retry)
        ├── StoreUnavailable          store.unavailable        503
        ├── BusUnavailable            bus.unavailable          503
        │   └── UnroutableError       bus.unroutable           503
        ├── AdapterUnavailable        adapter.unavailable      503
        ├── StorageUnavailable        storage.unavailable      503
        └── StorageFull               storage.full             507

Raise with a specific code: ``raise XmlError("DOCTYPE is not allowed", code="xml.dtd")``.
A code that callers act on has its own subclass (``UnroutableError``, ``DuplicateIdError``…):
raise that one and catch it by type, never by comparing ``exc.code`` with a string.
Foreign errors are translated at module boundaries with :func:`translated` (or
``raise ... from exc``).
Every code a client can see is listed in :data:`ERROR_CODES` (the table is in
:mod:`gateway.error_codes`; the OpenAPI spec is built from it);
``tests/unit/test_errors.py`` checks that raised codes are registered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import ClassVar

from gateway.error_codes import ERROR_CODES

__all__ = [
    "ERROR_CODES",
    "AdapterUnavailable",
    "AuthError",
    "BusUnavailable",
    "ConfigError",
    "ConflictError",
    "CsrfError",
    "DirectoryError",
    "DocumentRevokedError",
    "DuplicateIdError",
    "EdxmlError",
    "EnvelopeError",
    "ForbiddenError",
    "GatewayError",
    "IllegalTransitionError",
    "LimitError",
    "MalformedXmlError",
    "NoSigningKeyError",
    "NotFoundError",
    "OverloadedError",
    "PkiError",
    "ReceiptError",
    "Recoverable",
    "RequestError",
    "RoutingError",
    "SignatureError",
    "StorageFull",
    "StorageUnavailable",
    "StoreUnavailable",
    "Translation",
    "UnitExistsError",
    "UnknownUnitError",
    "UnroutableError",
    "XmlError",
    "translated",
]


class GatewayError(Exception):
    """Root of every gateway error: a stable ``code``, an HTTP status, the message id."""

    code: ClassVar[str] = "gateway.error"
    http_status: ClassVar[int] = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        message_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        if http_status is not None:
            self.http_status = http_status  # type: ignore[misc]
        self.message_id = message_id

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_json(self) -> dict[str, dict[str, str]]:
        """The API error body: ``{"error": {"code", "message"[, "message_id"]}}``."""
        body = {"code": self.code, "message": self.message}
        if self.message_id:
            body["message_id"] = self.message_id
        return {"error": body}


class XmlError(GatewayError):
    """The bytes are not acceptable XML (malformed, DTD, entities, too big, too deep)."""

    code = "xml.malformed"
    http_status = 400


class MalformedXmlError(XmlError):
    """The bytes are not well-formed XML (or empty)."""

    code = "xml.malformed"


class EnvelopeError(GatewayError):
    """The envelope or receipt is well-formed XML but not a valid one."""

    code = "envelope.invalid"
    http_status = 422


class SignatureError(GatewayError):
    """The XML signature is missing, malformed, untrusted or does not match."""

    code = "signature.invalid"
    http_status = 422


class PkiError(GatewayError):
    """A key, certificate, CSR or CRL operation failed."""

    code = "pki.error"
    http_status = 400


class NoSigningKeyError(PkiError):
    """The unit has no valid signing key on this hub (one may be issued)."""

    code = "pki.no_signing_key"


class DirectoryError(GatewayError):
    """A unit, group or credential is unknown or invalid."""

    code = "directory.invalid"
    http_status = 422


class UnitExistsError(DirectoryError):
    """A unit with that code (or a group holding it) already exists."""

    code = "directory.unit_exists"


class UnknownUnitError(DirectoryError):
    """No unit has that code (a caller may ask whether the unit itself is unknown)."""

    code = "directory.unknown_unit"


class RoutingError(GatewayError):
    """A message cannot be routed (unknown recipient, empty group)."""

    code = "routing.unknown_recipient"
    http_status = 422


class ReceiptError(GatewayError):
    """A receipt is not allowed now (illegal state transition, wrong party)."""

    code = "receipt.illegal_transition"
    http_status = 409


class IllegalTransitionError(ReceiptError):
    """The status is not allowed after the delivery's current state."""

    code = "receipt.illegal_transition"


class DocumentRevokedError(ReceiptError):
    """The document was revoked by its sender: it takes no status but 15 or 16."""

    code = "receipt.document_revoked"


class EdxmlError(GatewayError):
    """An edXML message cannot be read or mapped."""

    code = "edxml.invalid"
    http_status = 422


class AuthError(GatewayError):
    """No credentials, or credentials that do not identify anyone."""

    code = "auth.required"
    http_status = 401


class ForbiddenError(GatewayError):
    """Authenticated, but not allowed to see or do this."""

    code = "auth.forbidden"
    http_status = 403


class CsrfError(ForbiddenError):
    """A form was posted without the session's CSRF token (or with a wrong one)."""

    code = "auth.csrf"


class NotFoundError(GatewayError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"
    http_status = 404


class ConflictError(GatewayError):
    """The request conflicts with what is stored."""

    code = "conflict"
    http_status = 409


class DuplicateIdError(ConflictError):
    """The message id was already used for a different message (or by another sender)."""

    code = "message.duplicate_id"


class LimitError(GatewayError):
    """A size or rate limit was exceeded."""

    code = "limit.body_too_large"
    http_status = 413


class ConfigError(GatewayError):
    """The configuration is missing or invalid."""

    code = "config.invalid"
    http_status = 500


class RequestError(GatewayError):
    """The HTTP request itself is malformed (bad JSON, missing field, bad parameter)."""

    code = "request.invalid"
    http_status = 400


class Recoverable(GatewayError):
    """An error worth a retry: a dependency is down or busy."""

    code = "unavailable"
    http_status = 503


class StoreUnavailable(Recoverable):
    """The database cannot be reached."""

    code = "store.unavailable"


class BusUnavailable(Recoverable):
    """The message bus cannot be reached or did not confirm in time."""

    code = "bus.unavailable"


class UnroutableError(BusUnavailable):
    """No mailbox is declared for the routing key: the broker sent the message back."""

    code = "bus.unroutable"


class AdapterUnavailable(Recoverable):
    """An adapter's remote system cannot be reached."""

    code = "adapter.unavailable"


class StorageUnavailable(Recoverable):
    """The object store holding the blobs did not take or give the bytes."""

    code = "storage.unavailable"


class OverloadedError(Recoverable):
    """The hub has as much accepted work on its way as it is configured to hold
    (``[hub] max_backlog``, ``max_inflight_submissions``): retry after ``retry_after``
    seconds; nothing was stored."""

    code = "hub.overloaded"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


class StorageFull(Recoverable):
    """The blob store's file system is full (or the hub's quota on it is used up)."""

    code = "storage.full"
    http_status = 507


#: Foreign error types (one, or a tuple) → the gateway error that stands for them.
Translation = Mapping[type[Exception] | tuple[type[Exception], ...], type[GatewayError]]


@contextmanager
def translated(mapping: Translation, where: str) -> Iterator[None]:
    """At a module boundary, turn a foreign error into ours (the first matching entry of
    ``mapping``, in order) as ``"{where}: {exc!r}"``, chained with ``from``; our own errors
    and unlisted ones pass through untouched (as httpx's ``map_exceptions``).

    ::

        with translated({(aiohttp.ClientError, TimeoutError): AdapterUnavailable}, url):
            await session.post(url)
    """
    try:
        yield
    except GatewayError:
        raise
    except Exception as exc:
        for foreign, ours in mapping.items():
            if isinstance(exc, foreign):
                raise ours(f"{where}: {exc!r}") from exc
        raise
