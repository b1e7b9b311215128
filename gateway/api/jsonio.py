"""JSON in and out: objects only in, dates and UUIDs rendered as strings out."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from aiohttp import web

from gateway.errors import RequestError

__all__ = ["dumps", "json_ok", "parse_json_object"]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """``json.dumps`` that knows dates, UUIDs and enums."""
    return json.dumps(value, default=_default, ensure_ascii=False)


def json_ok(value: Any, status: int = 200) -> web.Response:
    """A JSON response rendered with :func:`dumps`."""
    return web.json_response(value, status=status, dumps=dumps)


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    """``raw`` as a JSON object (empty means ``{}``), else ``request.bad_json``."""
    try:
        value = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"{what} is not valid JSON", code="request.bad_json") from exc
    if not isinstance(value, dict):
        raise RequestError(f"{what} must be a JSON object", code="request.bad_json")
    return value
