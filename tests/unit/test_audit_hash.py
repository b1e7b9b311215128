"""The audit chain's hash input: chains written before stay verifiable."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.store.audit import entry_hash

_HANOI = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 11, 25, 8, 30, 15, tzinfo=UTC),
        datetime(2026, 11, 25, 15, 30, 15, 7, tzinfo=_HANOI),
        datetime(2026, 1, 1, 0, 0, 0, 500000),
    ],
)
def test_the_time_is_hashed_as_utc_with_microseconds_and_z(at: datetime) -> None:
    """``at`` enters the hash as ``%Y-%m-%dT%H:%M:%S.%fZ`` in UTC (naive counts as UTC)."""
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    fields = {
        "seq": 7,
        "at": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": "000.00.01.H01",
        "action": "message.accepted",
        "message_id": "m-1",
        "unit": None,
        "detail": {"n": 1},
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = hashlib.sha256(("p" * 64 + canonical).encode()).hexdigest()
    given = {**fields, "at": at}
    assert entry_hash("p" * 64, **given) == expected  # type: ignore[arg-type]


def test_details_are_stored_as_the_database_gives_them_back() -> None:
    """Flat details pass as they are; tuples become lists, odd values and keys text."""
    from gateway.store.audit import _json_roundtrip

    flat = {"kind": "document", "n": 3, "ok": True, "none": None}
    assert _json_roundtrip(flat) == flat and _json_roundtrip(flat) is not flat
    nested = {"units": ("a", "b"), 1: datetime(2026, 1, 1, tzinfo=UTC), "x": 1.5}
    assert _json_roundtrip(nested) == {
        "units": ["a", "b"],
        "1": "2026-01-01 00:00:00+00:00",
        "x": 1.5,
    }
