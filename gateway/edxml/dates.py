"""edXML dates as producers write them, read leniently and written the standard way.

The standard writes ``yyyy/MM/dd`` and ``yyyy/MM/dd HH:mm:ss`` in local time (UTC+7);
real systems also send ``dd/MM/yyyy`` (with or without a time) and ISO 8601. The two
slash forms cannot be confused: one starts with a four-digit year, the other ends with it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from gateway.errors import EdxmlError

#: edXML timestamps carry no offset: they are Vietnam local time.
VIETNAM = timezone(timedelta(hours=7), "ICT")

_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S",
)


def parse_timestamp(text: str) -> datetime:
    """A timezone-aware datetime from any accepted form; naive values are UTC+7."""
    value = text.strip()
    parsed = _try_formats(value)
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise EdxmlError(f"unreadable date {value!r}", code="edxml.bad_date") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def parse_date(text: str) -> date:
    """A calendar date from any accepted form (a time part, if any, is dropped)."""
    value = text.strip()
    parsed = _try_formats(value)
    if parsed is not None:
        return parsed.date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        return parse_timestamp(value).date()


def format_date(value: date) -> str:
    """``yyyy/MM/dd`` as the standard writes it."""
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def format_timestamp(value: datetime) -> str:
    """``yyyy/MM/dd HH:mm:ss`` in Vietnam local time."""
    local = value.astimezone(VIETNAM) if value.tzinfo else value
    return f"{format_date(local.date())} {local:%H:%M:%S}"


def _try_formats(value: str) -> datetime | None:
    for fmt in _FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
