"""Wake long-polling mailbox readers when something arrives for their unit.

One :class:`MailboxSignals` per hub process. The mailbox consumer calls :meth:`notify`
after it committed an item. A reader :meth:`listen`\\ s *before* it reads the store, so an
item committed while that read is under way still wakes it (a reader that only started
waiting after an empty read would sleep through that item until the next one came, or the
re-read period ended). Another hub process may have consumed the item, so readers also
re-read the store on a short period (see ``Hub.mailbox``): a signal is a shortcut, never
the only way to learn about new items.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["Listener", "MailboxSignals"]


class Listener:
    """One reader's registration: set by every notification for its unit until cleared."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def clear(self) -> None:
        """Forget earlier notifications (call right before reading the store)."""
        self._event.clear()

    def set(self) -> None:
        """A notification (:class:`MailboxSignals` calls this)."""
        self._event.set()

    async def wait(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait up to ``timeout`` seconds for a notification since the last :meth:`clear`;
        True if one came (at once when it came already)."""
        if self._event.is_set():
            return True
        if timeout <= 0:
            return False
        try:
            async with asyncio.timeout(timeout):
                await self._event.wait()
        except TimeoutError:
            return False
        return True


class MailboxSignals:
    """Per-unit wake-ups for long-poll readers."""

    def __init__(self) -> None:
        self._listeners: defaultdict[str, set[Listener]] = defaultdict(set)
        #: Told of every :meth:`notify` too: the other hub processes' readers
        #: (:mod:`gateway.pipeline.peer_wakeups`, with ``[hub] wake_peers``).
        self.peers: Callable[[str], None] | None = None

    def notify(self, unit: str) -> None:
        """Wake every reader listening on ``unit``'s mailbox, in this process and (with
        :attr:`peers`) in the others."""
        self.wake(unit)
        if self.peers is not None:
            self.peers(unit)

    def wake(self, unit: str) -> None:
        """Wake this process's readers of ``unit``'s mailbox."""
        for listener in self._listeners.get(unit, ()):
            listener.set()

    def notify_all(self) -> None:
        """Wake every reader (used on shutdown so long-polls return promptly)."""
        for listeners in self._listeners.values():
            for listener in listeners:
                listener.set()

    @contextmanager
    def listen(self, unit: str) -> Iterator[Listener]:
        """Register a reader of ``unit``'s mailbox for the duration of the block."""
        listener = Listener()
        self._listeners[unit].add(listener)
        try:
            yield listener
        finally:
            listeners = self._listeners[unit]
            listeners.discard(listener)
            if not listeners:
                del self._listeners[unit]

    async def wait(self, unit: str, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait up to ``timeout`` seconds for a notification; True if one came."""
        with self.listen(unit) as listener:
            return await listener.wait(timeout)

    def waiting(self, unit: str) -> int:
        """How many readers listen on ``unit`` (for tests and metrics)."""
        return len(self._listeners.get(unit, ()))
