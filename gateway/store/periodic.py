"""A background pass every so many seconds (the hub's upkeep of its tables).

Subclasses say whether they are ``enabled`` and what a pass does (``run_once``); a pass
that fails is logged and the next one runs on time: the database being away is not the
upkeep's business (the hot paths report it).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

__all__ = ["Periodic"]

log = structlog.get_logger("gateway.store.periodic")


class Periodic:
    """``run_once`` every ``every_seconds`` in a task of its own, from ``start`` to ``stop``."""

    #: The task's name, and the log event of a failed pass is ``<name>_failed``.
    name = "store.periodic"

    def __init__(self, every_seconds: float) -> None:
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """Whether ``start`` starts anything (a positive period, by default)."""
        return self.every_seconds > 0

    async def run_once(self) -> Any:
        """One pass."""
        raise NotImplementedError

    def start(self) -> None:
        """Run the loop in the background (nothing when disabled)."""
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        """Stop the loop (a pass in progress is cancelled with it)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_seconds)
            try:
                await self.run_once()
            except Exception as exc:  # the database being away is not this loop's business
                log.warning(f"{self.name}_failed", error=repr(exc))
