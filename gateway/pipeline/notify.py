"""Wake long-polling mailbox readers when something arrives for their unit.

One :class:`MailboxSignals` per hub process. The mailbox consumer calls :meth:`notify`
after it committed an item; :meth:`wait` returns at the first notification for that unit
or when the timeout ends. Another hub process may have consumed the item, so readers
also re-read the store on a short period (see ``Hub.mailbox``): a signal is a shortcut,
never the only way to learn about new items.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

__all__ = ["MailboxSignals"]


class MailboxSignals:
    """Per-unit wake-ups for long-poll readers."""

    def __init__(self) -> None:
        self._waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def notify(self, unit: str) -> None:
        """Wake every reader waiting on ``unit``'s mailbox."""
        for event in self._waiters.get(unit, ()):
            event.set()

    def notify_all(self) -> None:
        """Wake every reader (used on shutdown so long-polls return promptly)."""
        for events in self._waiters.values():
            for event in events:
                event.set()

    async def wait(self, unit: str, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait up to ``timeout`` seconds for a notification; True if one came."""
        if timeout <= 0:
            return False
        event = asyncio.Event()
        self._waiters[unit].add(event)
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
            return True
        except TimeoutError:
            return False
        finally:
            waiters = self._waiters[unit]
            waiters.discard(event)
            if not waiters:
                del self._waiters[unit]

    def waiting(self, unit: str) -> int:
        """How many readers wait on ``unit`` (for tests and metrics)."""
        return len(self._waiters.get(unit, ()))
