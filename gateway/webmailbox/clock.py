"""Times as a clerk reads them: Vietnam's time (Asia/Ho_Chi_Minh), dd/mm/yyyy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

__all__ = ["LOCAL", "local_date", "local_time", "today_local", "year_bounds"]

#: Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving since 1975.
LOCAL = timezone(timedelta(hours=7), "ICT")


def _aware(at: datetime | str) -> datetime:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def local_time(at: datetime | str | None) -> str:
    """``at`` (aware, or ISO text) in Vietnam's time, ``dd/mm/yyyy HH:MM``; ``""`` if none."""
    if at is None or at == "":
        return ""
    return _aware(at).astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def local_date(day: date | str | None) -> str:
    """A calendar date as ``dd/mm/yyyy``; ``""`` if none."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day.strftime("%d/%m/%Y")


def today_local() -> date:
    """Today's date in Vietnam."""
    return datetime.now(LOCAL).date()


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The first instant of ``year`` and of the next one in Vietnam, in UTC."""
    start = datetime(year, 1, 1, tzinfo=LOCAL).astimezone(UTC)
    return start, datetime(year + 1, 1, 1, tzinfo=LOCAL).astimezone(UTC)
