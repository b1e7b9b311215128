"""The monthly report's month: YYYY-MM only, bounds across the year's end."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.console.monthly import month_bounds
from gateway.errors import RequestError


def test_month_bounds_cover_the_month() -> None:
    """A month runs from its first day to the first day of the next, December too."""
    assert month_bounds("2026-11") == (date(2026, 11, 1), date(2026, 12, 1))
    assert month_bounds("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "11/2026", "2026-1", "", "1999-01", "2026-11x"]
)
def test_a_bad_month_is_a_typed_error(text: str) -> None:
    """Anything but YYYY-MM (month 01-12) is request.bad_parameter."""
    with pytest.raises(RequestError) as caught:
        month_bounds(text)
    assert caught.value.code == "request.bad_parameter"
