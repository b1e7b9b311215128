"""Every failure becomes ``{"error": {"code", "message"}}`` with the status of its code.

The request id middleware sits outside everything: it names the request (``X-Request-Id``,
taken from the caller when well-formed), binds it into structlog's context and echoes it.
The error middleware turns typed errors into their JSON form, aiohttp's own HTTP errors
(404, 405, 413…) into stable codes, an unexpected error raised while the request was being
parsed (inside aiohttp's body, form, JSON and multipart readers) into 400
``request.malformed``, a client that went away (connection reset) into one INFO line,
and anything else unexpected into a bare 500 ``gateway.error`` — logged with its
traceback, never shown to the client.
"""

from __future__ import annotations

import itertools
import re
import secrets
from types import TracebackType
from typing import Final

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.api.context import REQUEST_ID
from gateway.errors import GatewayError, Recoverable
from gateway.logging import bound

__all__ = [
    "CLIENT_GONE",
    "REQUEST_ID_HEADER",
    "error_middleware",
    "error_response",
    "request_id_middleware",
]

REQUEST_ID_HEADER: Final = "X-Request-Id"
#: The status logged for a request whose client went away before the answer (nginx's 499).
CLIENT_GONE: Final = 499
_REQUEST_ID_RE: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: aiohttp's own HTTP errors → our stable codes.
_HTTP_CODES: Final[dict[int, str]] = {
    400: "request.invalid",
    401: "auth.required",
    403: "auth.forbidden",
    404: "not_found",
    405: "request.method_not_allowed",
    409: "conflict",
    413: "limit.body_too_large",
    416: "request.bad_range",
    429: "limit.rate",
}
_RETRY_AFTER_UNAVAILABLE: Final = "5"
#: Modules that read a request's bytes: an unexpected error raised in one of them is the
#: caller's malformed input (a missing boundary, a bad part header…), not a hub failure.
_PARSERS: Final = frozenset({"aiohttp.web_request", "aiohttp.multipart"})

log = structlog.get_logger("gateway.api")


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> web.Response:
    """The JSON error body every client sees."""
    body = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers)


#: Made request ids: 32 hex digits, a random prefix per process and a counter. Unique and
#: cheap; uuid4 read the kernel's random source for every request.
_ID_PREFIX: Final = secrets.token_hex(10)
_ids = itertools.count(1)


def _request_id(request: web.Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if _REQUEST_ID_RE.fullmatch(given):
        return given
    return f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFFFFFF:012x}"


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Name the request, bind the name into the log context, echo it on the response."""
    request_id = _request_id(request)
    request[REQUEST_ID] = request_id
    with bound(request_id=request_id):
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers[REQUEST_ID_HEADER] = request_id
            raise
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
        return response


def _gateway_error(exc: GatewayError) -> web.Response:
    # an error may name extra headers (Retry-After on 429, Content-Range on 416)
    headers: dict[str, str] = dict(getattr(exc, "headers", None) or {})
    if isinstance(exc, Recoverable):
        headers.setdefault("Retry-After", _RETRY_AFTER_UNAVAILABLE)
    return web.json_response(exc.to_json(), status=exc.http_status, headers=headers)


def _http_error(exc: web.HTTPException) -> web.StreamResponse:
    code = _HTTP_CODES.get(exc.status, "request.invalid")
    message = exc.reason or "request failed"
    headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
    return error_response(exc.status, code, message, headers=headers)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Typed errors → their JSON; aiohttp errors → stable codes; anything else → 500."""
    try:
        return await handler(request)
    except GatewayError as exc:
        level = "error" if exc.http_status >= 500 else "info"
        # the raw (still percent-encoded) path: a CR/LF in it cannot forge a log line
        path = request.rel_url.raw_path
        getattr(log, level)("api.error", code=exc.code, status=exc.http_status, path=path)
        return _gateway_error(exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_error(exc)
    except ConnectionResetError as exc:  # aiohttp's ClientConnectionResetError is one
        # The client went away mid-answer (left a console page, dropped a download): an
        # everyday event, one line at INFO. Nobody reads the answer; 499 is nginx's
        # "client closed request" in the access log.
        path = request.rel_url.raw_path
        log.info("api.client_gone", method=request.method, path=path, error=type(exc).__name__)
        return web.Response(status=CLIENT_GONE)
    except Exception as exc:
        path = request.rel_url.raw_path
        if _raised_while_parsing(exc.__traceback__):
            log.info("api.malformed_request", error=type(exc).__name__, path=path)
            return error_response(400, "request.malformed", "the request could not be parsed")
        log.exception("api.unexpected_error", method=request.method, path=path)
        return error_response(500, "gateway.error", "internal error; see the hub's log")


def _raised_while_parsing(tb: TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_globals.get("__name__") in _PARSERS:
            return True
        tb = tb.tb_next
    return False
