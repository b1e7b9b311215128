"""Query and path parameters, parsed strictly: a bad one is 400 ``request.bad_parameter``
(free text with control characters is ``request.bad_text``; see :mod:`gateway.untrusted`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from aiohttp import web

from gateway.errors import NotFoundError, RequestError
from gateway.untrusted import clean_text, parse_datetime

__all__ = ["datetime_param", "float_param", "int_param", "message_id_param", "text_param"]

_MAX_TEXT = 200


def _bad(name: str, why: str) -> RequestError:
    return RequestError(f"parameter {name!r}: {why}", code="request.bad_parameter")


def int_param(request: web.Request, name: str, *, default: int, low: int, high: int) -> int:
    """An integer query parameter, clamped to ``[low, high]``."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(name, "not an integer") from None
    return max(low, min(high, value))


def float_param(request: web.Request, name: str, *, default: float, high: float) -> float:
    """A non-negative number query parameter, capped at ``high``."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise _bad(name, "not a number") from None
    if value != value or value < 0:  # NaN or negative
        raise _bad(name, "must be a non-negative number")
    return min(high, value)


def datetime_param(request: web.Request, name: str) -> datetime | None:
    """An ISO 8601 date-time query parameter in UTC (UTC when no offset is given), clamped
    to the range every database can store."""
    raw = request.query.get(name)
    if not raw:
        return None
    return parse_datetime(raw, f"parameter {name!r}")


def text_param(request: web.Request, name: str) -> str | None:
    """A short free-text query parameter, ``None`` when absent or empty."""
    raw = request.query.get(name)
    if not raw:
        return None
    if len(raw) > _MAX_TEXT:
        raise _bad(name, f"longer than {_MAX_TEXT} characters")
    return clean_text(raw, name)


def message_id_param(request: web.Request) -> str:
    """The ``{id}`` path segment as a canonical UUID; anything else is no such message."""
    raw = request.match_info["id"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NotFoundError("no such message", code="message.not_found") from None
