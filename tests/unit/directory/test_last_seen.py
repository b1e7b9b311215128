"""Last seen: one write per unit per minute and process, and the "not seen for N days" rule."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.directory.last_seen import LastSeen, check_days, not_seen_for
from gateway.errors import RequestError


class Recorder:
    """Collects the writes LastSeen asks for, instead of running them."""

    def __init__(self) -> None:
        self.units: list[str] = []

    def touch(self, unit: str) -> Coroutine[Any, Any, None]:
        self.units.append(unit)
        return self._write()

    async def _write(self) -> None:
        return None

    def spawn(self, write: Coroutine[Any, Any, None], failure: str) -> None:
        write.close()  # not run: the unit was recorded when the write was made
        assert failure == "unit.last_seen_failed"


def test_one_write_per_unit_per_minute() -> None:
    """Calls within a minute of a write write nothing; each unit has its own minute."""
    now = [1000.0]
    recorder = Recorder()
    seen = LastSeen(recorder.touch, recorder.spawn, clock=lambda: now[0])
    seen("000.00.01.H01")
    seen("000.00.01.H01")
    seen("000.00.02.H01")
    now[0] += 59.9
    seen("000.00.01.H01")
    assert recorder.units == ["000.00.01.H01", "000.00.02.H01"]
    now[0] += 0.1
    seen("000.00.01.H01")
    seen(None)  # an operator has no unit
    assert recorder.units == ["000.00.01.H01", "000.00.02.H01", "000.00.01.H01"]


def test_not_seen_for_days() -> None:
    """Never seen counts as not seen; N days ago or longer counts, less does not."""
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    assert not_seen_for(3, None, now)
    assert not_seen_for(3, now - timedelta(days=3), now)
    assert not not_seen_for(3, now - timedelta(days=2, hours=23), now)
    assert not_seen_for(0, now, now)


def test_days_out_of_range_are_refused_with_the_range() -> None:
    """A negative or absurd day count is request.bad_parameter naming the valid range."""
    assert check_days(0) == 0
    with pytest.raises(RequestError, match="0 to 36500") as caught:
        check_days(-1)
    assert caught.value.code == "request.bad_parameter"
