"""The untrusted-input helpers on their own (the same rules are tested over HTTP in
``tests/hostile/http/test_untrusted_input.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.errors import RequestError
from gateway.untrusted import (
    MAX_DATETIME,
    MIN_DATETIME,
    bounded_number,
    clamp_datetime,
    clean_text,
    equal_secrets,
    header_text,
    parse_datetime,
    parse_json,
    strict_int,
)


def _code(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(RequestError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    return caught.value.code


@pytest.mark.parametrize(
    ("given", "wanted"),
    [
        ("é", "a"),
        ("\udcff", "x"),
        (b"\xff", "\udcff"),
        ("abc", "abcd"),
    ],
)
def test_equal_secrets_never_raises(given: str | bytes, wanted: str) -> None:
    """Non-ASCII text, lone surrogates and bytes compare as bytes: unequal, no TypeError."""
    assert equal_secrets(given, wanted) is False


def test_equal_secrets_equal() -> None:
    """Equal secrets are equal, as text or as bytes."""
    assert equal_secrets("tôken", "tôken".encode())


def test_parse_json_depth_and_constants() -> None:
    """Deep nesting (also past Python's recursion limit) and NaN/Infinity are bad JSON."""
    assert isinstance(parse_json("[" * 32 + "]" * 32, "x"), list)  # 32 levels pass
    for raw in ("[" * 33 + "]" * 33, "[" * 30_000 + "]" * 30_000, "NaN", "[-Infinity]", "\xff"):
        assert _code(parse_json, raw, "x") == "request.bad_json"


def test_parse_json_refuses_lone_surrogates_anywhere() -> None:
    """A lone surrogate in any key or string is request.bad_text; a pair is one character."""
    for raw in ('{"a": ["x\\ud800"]}', '{"\\udfff": 1}'):
        assert _code(parse_json, raw, "x") == "request.bad_text"
    assert parse_json('"\\ud83d\\ude00"', "x") == "\U0001f600"


@pytest.mark.parametrize("value", [1e300, float("nan"), float("inf"), 0, -1, 10**400, True, "5"])
def test_bounded_number_refuses(value: object) -> None:
    """Out of bounds, not finite, not a number, or a boolean: request.invalid."""
    assert _code(bounded_number, value, "n", low=0, high=100) == "request.invalid"


def test_strict_int_ascii_digits_only() -> None:
    """``int`` takes ²-like digits and 1_000; strict_int does not."""
    assert strict_int("0042", "n") == 42
    for raw in ("²", "１２", "1_000", "", "9" * 19, " 1"):
        assert _code(strict_int, raw, "n") == "request.bad_parameter"


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("0001-01-01T00:00:00+14:00", MIN_DATETIME),
        ("0001-01-01", MIN_DATETIME),
        ("9999-12-31T23:59:59-14:00", MAX_DATETIME),
        ("9999-12-31", MAX_DATETIME),
        ("2026-12-07T09:00:00+07:00", datetime(2026, 12, 7, 2, tzinfo=UTC)),
    ],
)
def test_parse_datetime_clamps_to_utc(text: str, wanted: datetime) -> None:
    """Date-times come back in UTC, clamped a day inside Python's range."""
    assert parse_datetime(text, "since") == wanted


def test_clamp_datetime_naive_is_utc() -> None:
    """A naive date-time is taken as UTC."""
    assert clamp_datetime(datetime(2020, 1, 1)) == datetime(2020, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\ud800b", "a\ufffeb", "a\x7f\x00"])
def test_clean_text_refuses(text: str) -> None:
    """C0 controls (not TAB/LF/CR), lone surrogates and U+FFFE/F are request.bad_text."""
    assert _code(clean_text, text, "subject") == "request.bad_text"


def test_clean_text_keeps_tab_and_newlines() -> None:
    """TAB, LF, CR and Vietnamese text pass."""
    assert clean_text("Kế hoạch\tnăm\r\n2026", "subject") == "Kế hoạch\tnăm\r\n2026"


@pytest.mark.parametrize("value", ["Bearer tôken", "Bearer \udcff", "a\x00b", "a\nb"])
def test_header_text_refuses(value: str) -> None:
    """Non-ASCII, undecodable bytes and control characters: request.bad_header."""
    assert _code(header_text, value, "Authorization") == "request.bad_header"
