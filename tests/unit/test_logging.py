"""Structured logs: JSON lines, bound context, and no forged lines from outside fields."""

from __future__ import annotations

import io
import json

import structlog

from gateway.logging import bound, configure_logging, escape_controls


def test_control_characters_are_escaped_in_every_field():
    """CR, LF and other control characters in values become visible escapes."""
    event = escape_controls(None, "info", {"event": "x", "subject": "a\r\nFAKE line\x00", "n": 3})
    assert event["subject"] == "a\\r\\nFAKE line\\x00"
    assert event["n"] == 3


def test_json_lines_carry_the_bound_context_and_stay_one_line():
    """A log event is one JSON line with message_id, unit and stage from the context."""
    out = io.StringIO()
    configure_logging(json=True, stream=out)
    try:
        with bound(message_id="m-1", unit="000.00.01.H01", stage="verify", request_id=None):
            structlog.get_logger("t").info("step", subject="x\ny")
        lines = out.getvalue().splitlines()
        assert len(lines) == 1
        record = json.loads(lines[0])
        assert record["message_id"] == "m-1"
        assert record["unit"] == "000.00.01.H01"
        assert record["stage"] == "verify"
        assert record["subject"] == "x\\ny"
        assert "request_id" not in record
    finally:
        structlog.reset_defaults()


def test_console_rendering_cannot_be_split_by_a_newline():
    """With the plain console renderer a newline in a field still yields one line."""
    out = io.StringIO()
    configure_logging(json=False, stream=out)
    try:
        structlog.get_logger("t").warning("step", subject="a\nlevel=critical forged")
        assert len(out.getvalue().splitlines()) == 1
    finally:
        structlog.reset_defaults()


def test_bound_restores_what_was_there_even_after_an_error():
    """A nested block rebinds a key and binds a new one; on exit, even by an exception,
    the outer value is back and the new key is gone."""
    get = structlog.contextvars.get_contextvars
    with bound(unit="outer", request_id="r-1"):
        try:
            with bound(unit="inner", stage="verify", message_id=None):
                assert get() == {"unit": "inner", "request_id": "r-1", "stage": "verify"}
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        assert get() == {"unit": "outer", "request_id": "r-1"}
    assert get() == {}
