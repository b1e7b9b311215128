"""The working-day calendar and the due-time policy across Tết 2026 and 2027, Giỗ Tổ
Hùng Vương and make-up Saturdays (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from gateway.config import DeadlinesConfig
from gateway.deadlines import VIETNAM, DuePolicy, WorkCalendar
from gateway.errors import ConfigError


def _vn(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, 0, tzinfo=VIETNAM)


def _end(y: int, m: int, d: int) -> datetime:
    return datetime.combine(date(y, m, d), time(17, 0), VIETNAM).astimezone(UTC)


CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("accepted", "n", "due"),
    [
        # Tết Bính Ngọ 2026: Mon 16 - Fri 20 Feb off, the weekends around it too
        (_vn(2026, 2, 13), 1, _end(2026, 2, 23)),
        (_vn(2026, 2, 13), 0, _end(2026, 2, 13)),
        (_vn(2026, 2, 13, 18), 0, _end(2026, 2, 23)),
        # Tết Đinh Mùi 2027: Thu 4 - Wed 10 Feb off
        (_vn(2027, 2, 3), 1, _end(2027, 2, 11)),
        (_vn(2027, 2, 3), 3, _end(2027, 2, 15)),
        # Giỗ Tổ Hùng Vương: 2026 on a Sunday (Monday 27 Apr off instead), 2027 Fri 16 Apr
        (_vn(2026, 4, 24), 1, _end(2026, 4, 28)),
        (_vn(2027, 4, 15), 1, _end(2027, 4, 19)),
        # the government's make-up Saturday 22 Aug 2026 (for Mon 31 Aug off)
        (_vn(2026, 8, 21), 1, _end(2026, 8, 22)),
        (_vn(2026, 8, 28), 1, _end(2026, 9, 3)),
    ],
)
def test_end_of_working_day(accepted: datetime, n: int, due: datetime) -> None:
    """The end of the n-th working day skips weekends and public holidays."""
    assert CAL.end_of_working_day(accepted, n) == due


def test_tet_and_gio_to_are_holidays_by_the_lunar_calendar() -> None:
    """Mùng 1 Tết is 17 Feb 2026 and 6 Feb 2027; Giỗ Tổ (10/3 lunar) 26 Apr 2026, 16 Apr 2027."""
    for day in (date(2026, 2, 17), date(2027, 2, 6), date(2026, 4, 26), date(2027, 4, 16)):
        assert CAL.holiday(day) is not None and not CAL.is_working_day(day)
    assert "Lunar New Year" in (CAL.holiday(date(2026, 2, 17)) or "")


def test_configured_make_up_saturday_and_extra_day_off() -> None:
    """A configured make-up Saturday works; a configured day off does not."""
    cal = WorkCalendar(working_days=[date(2026, 10, 10)], days_off=[date(2026, 10, 12)])
    assert cal.is_working_day(date(2026, 10, 10)) and not cal.is_working_day(date(2026, 10, 12))
    assert cal.end_of_working_day(_vn(2026, 10, 9), 1) == _end(2026, 10, 10)
    assert cal.end_of_working_day(_vn(2026, 10, 9), 2) == _end(2026, 10, 13)


def test_policy_by_urgency_and_due_date() -> None:
    """Hỏa tốc: received within 2 hours even on Tết; normal: end of the next working
    day; an explicit due date sets completed to the end of that day."""
    policy = DuePolicy.from_config(DeadlinesConfig())
    flash = policy(_vn(2026, 2, 17, 9), 3, None)
    assert flash.received == _vn(2026, 2, 17, 11).astimezone(UTC)
    normal = policy(_vn(2026, 2, 13), 0, date(2026, 3, 2))
    assert normal.received == _end(2026, 2, 23)
    assert normal.completed == _end(2026, 3, 2)


def test_bad_config_is_config_error() -> None:
    """A span that is neither hours nor working days is a ConfigError."""
    with pytest.raises(ConfigError):
        DuePolicy.from_config(DeadlinesConfig(received="2 days"))
    with pytest.raises(ConfigError):
        DuePolicy.from_config(DeadlinesConfig(days_off="2026-13-01"))
