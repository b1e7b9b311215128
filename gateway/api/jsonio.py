"""JSON in and out: objects only in (parsed by :mod:`gateway.untrusted`), dates and UUIDs
rendered as strings out."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from enum import Enum
from typing import Any

from aiohttp import web

from gateway.untrusted import parse_json_object

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
