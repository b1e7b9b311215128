"""Untrusted input, decoded and validated in one place.

Every value a caller controls passes through one of these before the hub uses it:

- header values (:func:`header_text`, and :func:`header_guard_middleware` for all of them);
- JSON bodies (:func:`parse_json`: a nesting-depth limit, no ``NaN``/``Infinity``);
- numbers (:func:`bounded_number`, :func:`strict_int`: bounds, ASCII digits only);
- date-times (:func:`parse_datetime`, :func:`clamp_datetime`: always UTC, inside a range
  every database and every time-zone offset can represent);
- free text (:func:`clean_text`: no C0 control characters, no lone surrogates);
- secrets (:func:`equal_secrets`: constant-time, on bytes).

Each refusal is a typed 4xx with a stable code. :func:`parsing` wraps request parsing: an
unexpected error inside it becomes 400 ``request.malformed``, never a 500.
"""

from __future__ import annotations

import hmac
import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from gateway.errors import GatewayError, RequestError

__all__ = [
    "MAX_DATETIME",
    "MAX_JSON_DEPTH",
    "MIN_DATETIME",
    "bounded_number",
    "clamp_datetime",
    "clean_text",
    "equal_secrets",
    "header_guard_middleware",
    "header_text",
    "parse_datetime",
    "parse_json",
    "parse_json_object",
    "parsing",
    "strict_int",
]

#: JSON nested deeper than this is refused (the hub's own documents nest 3 levels).
MAX_JSON_DEPTH: Final = 32
#: A day inside Python's range, so any UTC offset still converts and compares.
MIN_DATETIME: Final = datetime(1, 1, 2, tzinfo=UTC)
MAX_DATETIME: Final = datetime(9999, 12, 30, tzinfo=UTC)
#: Characters XML 1.0 cannot carry and no text field needs: C0 controls other than TAB,
#: LF and CR; lone surrogates (from ``\\ud800`` escapes or undecodable bytes); U+FFFE/FFFF.
_BAD_TEXT: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: In a header value nothing below space but TAB, and no DEL.
_BAD_HEADER: Final = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_DIGITS: Final = re.compile(r"[0-9]+")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _bad_header(name: str, why: str) -> RequestError:
    return RequestError(f"header {name}: {why}", code="request.bad_header")


def header_text(value: str | None, name: str) -> str | None:
    """A header value as ASCII text (``None`` when absent), else ``request.bad_header``.

    aiohttp decodes header bytes as UTF-8 with ``surrogateescape``: invalid bytes arrive
    as lone surrogates, which are not ASCII and are refused here with the rest.
    """
    if value is None:
        return None
    if not value.isascii():
        raise _bad_header(name, "only ASCII characters are allowed")
    if _BAD_HEADER.search(value):
        raise _bad_header(name, "control characters are not allowed")
    return value


@web.middleware
async def header_guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse any request header that is not valid UTF-8 or holds control characters."""
    for name, value in request.headers.items():
        if _BAD_TEXT.search(value) or _BAD_HEADER.search(value):
            raise _bad_header(_printable(name), "invalid UTF-8 or control characters")
    return await handler(request)


def _printable(name: str) -> str:
    return name.encode("ascii", "replace").decode("ascii")[:64]


def equal_secrets(given: str | bytes, wanted: str | bytes) -> bool:
    """Constant-time equality of two secrets, compared as bytes.

    ``hmac.compare_digest`` raises ``TypeError`` on ``str`` holding non-ASCII characters;
    any text (lone surrogates included) is encoded first, so a forged value is simply
    unequal.
    """
    return hmac.compare_digest(_as_bytes(given), _as_bytes(wanted))


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes | str, what: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``raw`` as JSON, else ``request.bad_json``: not UTF-8, not JSON, ``NaN`` or
    ``Infinity``, or nested deeper than ``max_depth``; a lone surrogate (``"\\ud800"``) in
    any string is ``request.bad_text``."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep(what, max_depth) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"{what} is not valid JSON", code="request.bad_json") from exc
    _check_structure(value, what, max_depth)
    return value


def _too_deep(what: str, max_depth: int) -> RequestError:
    return RequestError(f"{what} nests deeper than {max_depth} levels", code="request.bad_json")


def _check_structure(value: Any, what: str, max_depth: int) -> None:
    """No deeper than ``max_depth``; no lone surrogate in any key or string (one could not
    be encoded again anywhere: a log, a digest, the database, an XML envelope)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise RequestError(f"{what} holds a lone surrogate", code="request.bad_text")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > max_depth:
            raise _too_deep(what, max_depth)
        children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


def parse_json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """``raw`` as a JSON object (empty means ``{}``), else ``request.bad_json``."""
    if not raw.strip():
        return {}
    value = parse_json(raw, what)
    if not isinstance(value, dict):
        raise RequestError(f"{what} must be a JSON object", code="request.bad_json")
    return value


def bounded_number(value: Any, name: str, *, low: float, high: float) -> float:
    """A JSON number (not a boolean, finite) with ``low < value <= high``, else
    ``request.invalid``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"'{name}' must be a number", code="request.invalid")
    number = float(value) if not isinstance(value, int) or abs(value) < 2**63 else math.inf
    if not math.isfinite(number) or not low < number <= high:
        raise RequestError(
            f"'{name}' must be a number above {low:g} and at most {high:g}",
            code="request.invalid",
        )
    return number


def strict_int(text: str, name: str, *, max_digits: int = 18) -> int:
    """ASCII decimal digits only (``int`` also takes ``²``-like digits and ``_``) and at
    most ``max_digits`` of them; else ``request.bad_parameter``."""
    if not _DIGITS.fullmatch(text) or len(text) > max_digits:
        raise RequestError(
            f"{name} must be at most {max_digits} ASCII digits", code="request.bad_parameter"
        )
    return int(text)


def clamp_datetime(value: datetime) -> datetime:
    """``value`` in UTC (naive means UTC), clamped to ``[MIN_DATETIME, MAX_DATETIME]``."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        utc = aware.astimezone(UTC)
    except OverflowError:  # an offset pushed it past year 1 or year 9999
        return MIN_DATETIME if aware.year == 1 else MAX_DATETIME
    return min(MAX_DATETIME, max(MIN_DATETIME, utc))


def parse_datetime(text: str, name: str, *, code: str = "request.bad_parameter") -> datetime:
    """An ISO 8601 date-time (UTC when no offset is given), clamped by
    :func:`clamp_datetime`; anything else is ``code``."""
    try:
        value = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        raise RequestError(f"{name}: not an ISO 8601 date-time", code=code) from None
    return clamp_datetime(value)


def clean_text(value: str, name: str) -> str:
    """``value`` unless it holds a control character (TAB, LF, CR allowed), a lone
    surrogate or U+FFFE/U+FFFF: those are ``request.bad_text``."""
    found = _BAD_TEXT.search(value)
    if found is not None:
        raise RequestError(
            f"'{name}' holds a forbidden character (U+{ord(found.group()):04X})",
            code="request.bad_text",
        )
    return value


@contextmanager
def parsing(what: str) -> Iterator[None]:
    """Parse a request inside this block: an unexpected error becomes 400
    ``request.malformed``; typed errors and aiohttp's HTTP errors (413…) pass through."""
    try:
        yield
    except (GatewayError, web.HTTPException):
        raise
    except Exception as exc:
        raise RequestError(f"{what} could not be parsed", code="request.malformed") from exc
