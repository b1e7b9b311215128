"""Requests aiohttp refuses before any handler runs answer in the hub's JSON error form.

A request line or header longer than aiohttp's limits, a bad method, a broken chunked
body: aiohttp's HTTP parser refuses them and its connection handler answers with a plain
text page that our middlewares never see. :func:`answer_in_json` makes the listener's
connection handlers answer those, too, as ``{"error": {"code", "message"}}``: 400
``request.malformed`` (431 ``request.bad_header`` for headers too large), with a fixed
message (the parser's own text may echo the caller's bytes), one log line and no
traceback. The connection is closed afterwards, as aiohttp does.
"""

from __future__ import annotations

import json
from typing import Final

import structlog
from aiohttp import web, web_protocol
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_request import BaseRequest

__all__ = ["answer_in_json"]

log = structlog.get_logger("gateway.api")

_MESSAGES: Final[dict[str, str]] = {
    "request.malformed": "the HTTP request could not be parsed",
    "request.bad_header": "the request line or a header is longer than the hub accepts",
    "gateway.error": "internal error",
}


def _code(status: int, exc: BaseException | None) -> tuple[int, str]:
    if isinstance(exc, LineTooLong):
        return 431, "request.bad_header"
    if status >= 500:
        return status, "gateway.error"
    return status, "request.malformed"


class _JsonErrors(web_protocol.RequestHandler):
    """aiohttp's connection handler, its error page in JSON."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if request.writer.output_size > 0:  # an answer is half sent: aiohttp's own way out
            return super().handle_error(request, status, exc, message)
        status, code = _code(status, exc)
        if status >= 500:
            log.error("http.unhandled", status=status, error=type(exc).__name__, exc_info=exc)
        else:
            log.info("http.unparsable", status=status, error=type(exc).__name__)
        body = {"error": {"code": code, "message": _MESSAGES[code]}}
        response = web.Response(
            status=status, text=json.dumps(body), content_type="application/json"
        )
        response.force_close()
        return response


class _JsonErrorServer(web.Server):
    """A listener whose connection handlers are :class:`_JsonErrors`."""

    def __call__(self) -> web_protocol.RequestHandler:
        return _JsonErrors(self, loop=self._loop, **self._kwargs)


def answer_in_json(runner: web.BaseRunner) -> None:
    """After ``runner.setup()``: its listeners answer unparsable requests in JSON."""
    server = runner.server
    if server is None:
        raise RuntimeError("answer_in_json: the runner is not set up")
    server.__class__ = _JsonErrorServer
