"""Structured logs: one JSON object per line, with the context bound where work happens.

The pipeline binds ``message_id``, ``unit`` and ``stage`` (the API binds ``request_id``)
into structlog's contextvars, so every event logged inside carries them without passing
them around. Fields come from outside (subjects, unit names, reasons): CR, LF and other
control characters are escaped before rendering so a value can never forge a log line,
even with the plain console renderer.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

__all__ = ["bound", "configure_logging", "escape_controls"]

_CONTROL = {i: f"\\x{i:02x}" for i in range(32)} | {0x7F: "\\x7f"}
_CONTROL[0x0A] = "\\n"
_CONTROL[0x0D] = "\\r"
_CONTROL[0x09] = "\\t"
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029", 0x85: "\\x85"})


def _escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.translate(_CONTROL)
    if isinstance(value, Mapping):
        return {_escape(k): _escape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape(v) for v in value]
    return value


def escape_controls(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: escape CR/LF and other control characters in every field."""
    for key, value in list(event_dict.items()):
        if key != "exception":
            event_dict[key] = _escape(value)
    return event_dict


def configure_logging(
    *, level: str = "INFO", json: bool = True, stream: TextIO | None = None
) -> None:
    """Route structlog (and the standard library's ``logging``) to ``stream`` (stderr).

    ``json=True`` renders one JSON object per line; ``False`` a readable console line.
    Safe to call more than once (the last call wins).
    """
    out = stream or sys.stderr
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            escape_controls,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(numeric, logging.WARNING))


class _Bound:
    """The context manager of :func:`bound`: set the values' context variables on entry,
    reset them with their tokens on exit (each back to what it was, bound or not)."""

    __slots__ = ("_tokens", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self._tokens: Mapping[str, contextvars.Token[Any]] = {}

    def __enter__(self) -> None:
        self._tokens = structlog.contextvars.bind_contextvars(**self._values)

    def __exit__(self, *exc: object) -> None:
        structlog.contextvars.reset_contextvars(**self._tokens)


def bound(**values: Any) -> _Bound:
    """Bind ``values`` (``message_id``, ``unit``, ``stage``…) for the duration of a
    ``with`` block; ``None`` values are left out. (structlog's ``bound_contextvars`` reads
    every context variable of the task to save the old values, which costs more per block;
    the tokens restore them as well.)"""
    return _Bound({k: v for k, v in values.items() if v is not None})
