"""Working days in Vietnam: weekends, public holidays (lunar ones included) and the
hub's own extra days off and make-up working days, in ``Asia/Ho_Chi_Minh``.

The public holidays come from the maintained ``holidays`` package (its ``VN`` calendar
computes Tết and Giỗ Tổ Hùng Vương from the lunar calendar, carries the observed days
and the make-up Saturdays the government announces); ``[deadlines] days_off`` and
``working_days`` add what a province decides on top (a make-up Saturday, an extra day).
A make-up working day is a working day even on a weekend; a configured day off wins over
everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = ["VIETNAM", "WorkCalendar"]

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: A deadline never looks further than this many days ahead for a working day.
_MAX_SCAN = 366


class WorkCalendar:
    """Which days are working days, and the end of the n-th working day after a time."""

    def __init__(
        self,
        *,
        tz: ZoneInfo = VIETNAM,
        day_end: time = time(17, 0),
        days_off: Iterable[date] = (),
        working_days: Iterable[date] = (),
    ) -> None:
        self.tz = tz
        self.day_end = day_end
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self._public = holidays.country_holidays("VN")
        self._is_working = lru_cache(maxsize=4096)(self._working)

    def holiday(self, day: date) -> str | None:
        """The public holiday's name on ``day``, if it is one."""
        name = self._public.get(day)
        return str(name) if name else None

    def is_working_day(self, day: date) -> bool:
        """True on a working day."""
        return self._is_working(day)

    def _working(self, day: date) -> bool:
        if day in self.days_off:
            return False
        if day in self.working_days or day in getattr(self._public, "weekend_workdays", ()):
            return True
        return day.weekday() < 5 and day not in self._public

    def end_of_working_day(self, at: datetime, n: int) -> datetime:
        """The end (``day_end``, local) of the ``n``-th working day after ``at``'s day;
        ``n`` 0: the end of ``at``'s own day if it is a working day and not over yet, else
        of the next working day. In UTC."""
        local = at.astimezone(self.tz)
        day = local.date()
        if n == 0 and self.is_working_day(day) and local.time() < self.day_end:
            return self._end(day)
        for _ in range(_MAX_SCAN):
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
                if n <= 0:
                    return self._end(day)
        return self._end(day)

    def end_of(self, day: date) -> datetime:
        """The end of ``day`` (``day_end``, local), in UTC: an explicit due date's time."""
        return self._end(day)

    def _end(self, day: date) -> datetime:
        return datetime.combine(day, self.day_end, self.tz).astimezone(UTC)
