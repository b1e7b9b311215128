"""The per-hub deadline policy: each delivery's due time for "received" and "completed".

``[deadlines]`` gives one span per urgency (``gateway.urgency``: 0 thường … 4 hỏa tốc hẹn
giờ), comma-separated: ``2h`` is two hours of the clock, ``1wd`` the end of the next
working day, ``0wd`` the end of this working day (or the next one when this one is over).
The defaults follow Decree 30/2020/NĐ-CP: urgent documents are registered and passed on
at once (hỏa tốc within 2 hours), others by the end of the next working day::

    [deadlines]
    received  = "1wd,1wd,0wd,2h,2h"
    completed = "10wd,7wd,5wd,1wd,1wd"

An explicit ``due_date`` on the document sets "completed" to the end of that day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from gateway.deadlines.calendar import WorkCalendar
from gateway.errors import ConfigError

__all__ = ["DuePolicy", "DueTimes", "Span", "parse_spans"]

_SPAN = re.compile(r"^\s*(\d{1,3})\s*(h|wd)\s*$")
#: One span per urgency code 0..4.
_LEVELS = 5


@dataclass(frozen=True, slots=True)
class Span:
    """``hours`` of the clock, or the end of the ``working_days``-th working day."""

    hours: int = 0
    working_days: int | None = None

    def after(self, at: datetime, calendar: WorkCalendar) -> datetime:
        """The time this span after ``at`` ends."""
        if self.working_days is None:
            return at + timedelta(hours=self.hours)
        return calendar.end_of_working_day(at, self.working_days)


def parse_spans(text: str, where: str) -> tuple[Span, ...]:
    """``"1wd,1wd,0wd,2h,2h"`` → five spans (a shorter list repeats its last one)."""
    spans = []
    for part in text.split(","):
        found = _SPAN.match(part)
        if found is None:
            raise ConfigError(f"[deadlines] {where}: {part.strip()!r} is not like 2h or 1wd")
        n, unit = int(found.group(1)), found.group(2)
        spans.append(Span(hours=n) if unit == "h" else Span(working_days=n))
    return tuple(spans + [spans[-1]] * (_LEVELS - len(spans)))[:_LEVELS]


@dataclass(frozen=True, slots=True)
class DueTimes:
    """When a delivery is due to be received and completed (UTC)."""

    received: datetime
    completed: datetime


class DuePolicy:
    """The due times of a document accepted at some time, by urgency and due date."""

    def __init__(
        self, calendar: WorkCalendar, received: tuple[Span, ...], completed: tuple[Span, ...]
    ) -> None:
        self.calendar = calendar
        self.received = received
        self.completed = completed

    @classmethod
    def from_config(cls, cfg: DeadlinesConfigLike) -> DuePolicy:
        """The policy of ``[deadlines]``."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            tz = ZoneInfo(cfg.timezone)
            end = time.fromisoformat(cfg.day_end)
            off = [date.fromisoformat(d.strip()) for d in cfg.days_off.split(",") if d.strip()]
            on = [date.fromisoformat(d.strip()) for d in cfg.working_days.split(",") if d.strip()]
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ConfigError(f"[deadlines]: {exc}") from exc
        calendar = WorkCalendar(tz=tz, day_end=end, days_off=off, working_days=on)
        return cls(
            calendar,
            parse_spans(cfg.received, "received"),
            parse_spans(cfg.completed, "completed"),
        )

    def __call__(self, accepted: datetime, urgency: int, due_date: date | None) -> DueTimes:
        """The due times of a document accepted at ``accepted``."""
        level = max(0, min(urgency, _LEVELS - 1))
        received = self.received[level].after(accepted, self.calendar)
        if due_date is not None:
            completed = self.calendar.end_of(due_date)
        else:
            completed = self.completed[level].after(accepted, self.calendar)
        return DueTimes(received, completed)


class DeadlinesConfigLike(Protocol):
    """What :meth:`DuePolicy.from_config` reads (``gateway.config.DeadlinesConfig``)."""

    @property
    def timezone(self) -> str: ...
    @property
    def day_end(self) -> str: ...
    @property
    def received(self) -> str: ...
    @property
    def completed(self) -> str: ...
    @property
    def days_off(self) -> str: ...
    @property
    def working_days(self) -> str: ...
