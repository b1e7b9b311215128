"""What people read instead of machine values: unit names beside codes, and times in
Vietnam's local time (``14:05 07/12/2026``) with how long ago they were ("2 giờ trước").

The console's templates get these as functions (:func:`helpers`), so every page shows a
unit, a time or a date the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from gateway.facade import AdapterFacade

__all__ = ["LOCAL", "helpers", "local_date", "local_time", "parse_when", "relative"]

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

#: (seconds per step, vi word, en word); the largest step that fits is used.
_STEPS = (
    (365 * 86400, "năm", "year"),
    (30 * 86400, "tháng", "month"),
    (86400, "ngày", "day"),
    (3600, "giờ", "hour"),
    (60, "phút", "minute"),
)


def parse_when(value: datetime | str | None) -> datetime | None:
    """A timezone-aware datetime from a datetime or an ISO text (naive means UTC)."""
    if value is None or value == "":
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def local_time(value: datetime | str | None) -> str:
    """``14:05 07/12/2026`` in Asia/Ho_Chi_Minh; empty for no time."""
    at = parse_when(value)
    return at.astimezone(LOCAL).strftime("%H:%M %d/%m/%Y") if at else ""


def local_date(value: date | str | None) -> str:
    """A calendar date as ``07/12/2026``; empty for none."""
    if value is None or value == "":
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value[:10])
    return day.strftime("%d/%m/%Y")


def relative(lang: str, value: datetime | str | None, now: datetime | None = None) -> str:
    """How long ago (or how soon): ``2 giờ trước``, ``vừa xong``; ``2 hours ago``, ``just now``."""
    at = parse_when(value)
    if at is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - at).total_seconds())
    span = abs(seconds)
    for step, vi, en in _STEPS:
        if span >= step:
            n = span // step
            if lang == "en":
                unit = en if n == 1 else en + "s"
                return f"{n} {unit} ago" if seconds >= 0 else f"in {n} {unit}"
            return f"{n} {vi} trước" if seconds >= 0 else f"{n} {vi} nữa"
    return "just now" if lang == "en" else "vừa xong"


def _when(lang: str) -> Callable[[datetime | str | None], Markup]:
    def when(value: datetime | str | None) -> Markup:
        at = parse_when(value)
        if at is None:
            return Markup("")
        return Markup('<time datetime="{}">{}</time> <small class="ago">({})</small>').format(
            at.isoformat(), local_time(at), relative(lang, at)
        )

    return when


def _unit_namer(names: Mapping[str, str]) -> Callable[[str | None], str]:
    def unit(code: str | None) -> str:
        if not code:
            return ""
        name = names.get(code)
        return f"{name} ({code})" if name else code

    return unit


def _unit_then(names: Mapping[str, str]) -> Callable[[str | None, str | None], str]:
    def unit_then(code: str | None, name: str | None) -> str:
        """A unit under the name it had then (a status's ``name``), else today's."""
        if code and name:
            return f"{name} ({code})"
        return _unit_namer(names)(code)

    return unit_then


def helpers(lang: str, names: Mapping[str, str]) -> dict[str, Any]:
    """The template functions: ``unit(code)``, ``unit_then(code, name_then)``, ``when(at)``,
    ``day(date)``, ``clock(at)``."""
    return {
        "unit": _unit_namer(names),
        "unit_then": _unit_then(names),
        "unit_name": lambda code: names.get(code) or code,
        "when": _when(lang),
        "clock": local_time,
        "day": local_date,
    }


class UnitNames:
    """Unit names by code, read from the directory at most every ``ttl`` seconds (a
    renamed unit shows its new name within that time)."""

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._names: dict[str, str] = {}
        self._read_at = float("-inf")

    async def get(self, hub: AdapterFacade) -> dict[str, str]:
        """The names, fresh enough (the directory's units: public to every caller)."""
        import time

        now = time.monotonic()
        if now - self._read_at > self.ttl:
            self._names = {u.code: u.name for u in await hub.units()}
            self._read_at = now
        return self._names
