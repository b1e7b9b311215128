"""When each unit's endpoint was last seen: recorded cheaply, beside the request.

Every authenticated API call and every mailbox poll (HTTP, adapters, the axis API) calls
:class:`LastSeen` with the unit. A process writes a unit's ``last_seen_at`` at most once
per :data:`SEEN_INTERVAL_SECONDS`, in the background: the caller never waits for the
write, and a busy unit costs one UPDATE a minute, not one per request. Several hub
processes each keep their own throttle (at most one write per unit per minute each).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.errors import RequestError

__all__ = ["MAX_NOT_SEEN_DAYS", "SEEN_INTERVAL_SECONDS", "LastSeen", "check_days", "not_seen_for"]

#: A unit's last-seen time is written at most this often by one process.
SEEN_INTERVAL_SECONDS = 60.0
#: The largest "not seen for N days" filter (a hundred years).
MAX_NOT_SEEN_DAYS = 36_500

Touch = Callable[[str], Coroutine[Any, Any, None]]
Spawn = Callable[[Coroutine[Any, Any, None], str], None]


class LastSeen:
    """Record that a unit was seen: ``touch(unit)`` handed to ``spawn`` once a minute."""

    def __init__(
        self,
        touch: Touch,
        spawn: Spawn,
        *,
        interval: float = SEEN_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.touch = touch
        self.spawn = spawn
        self.interval = interval
        self.clock = clock
        #: unit → when this process last wrote its last-seen time (``clock`` seconds).
        self._written: dict[str, float] = {}

    def __call__(self, unit: str | None) -> None:
        """Note that ``unit`` was just seen (``None``, an operator, is ignored)."""
        if unit is None:
            return
        now = self.clock()
        last = self._written.get(unit)
        if last is not None and now - last < self.interval:
            return
        self._written[unit] = now
        self.spawn(self.touch(unit), "unit.last_seen_failed")


def check_days(days: int) -> int:
    """``days`` for a "not seen for N days" filter: 0 to 36,500 (``request.bad_parameter``)."""
    if not 0 <= days <= MAX_NOT_SEEN_DAYS:
        raise RequestError(
            f"not seen days must be 0 to {MAX_NOT_SEEN_DAYS}, not {days}",
            code="request.bad_parameter",
        )
    return days


def not_seen_for(days: int, last_seen_at: datetime | None, now: datetime | None = None) -> bool:
    """True when a unit was never seen, or last seen ``days`` days ago or longer."""
    if last_seen_at is None:
        return True
    return (now or datetime.now(UTC)) - last_seen_at >= timedelta(days=days)
