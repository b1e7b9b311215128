"""Whether a delivery is (or was) late: the same rule for status views, metrics, the
console and the escalation pass, so that every hub process computes it identically.

A delivery is due to be **received** (a first answer: 01, 02 or 03) by the message's
``due_received_at`` and **completed** (06, or refused with 02) by ``due_completed_at``.
It is *overdue* while it is past one of them without that answer; it was *late* when the
answer came after it. A delivery that ended otherwise (expired, failed, taken back) or
whose document was revoked or replaced is never overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["DONE_CODES", "RECEIVED_CODES", "Lateness", "lateness"]

#: Statuses that say the document was received; those that finish the work.
RECEIVED_CODES = frozenset({"01", "02", "03", "04", "05", "06"})
DONE_CODES = frozenset({"02", "06"})
#: Final states that end a delivery without the recipient's work: nothing is overdue.
_ENDED = frozenset({"expired", "failed", "recall_agreed"})
#: Transport states: the recipient has not answered yet.
_UNANSWERED = frozenset({"submitted", "queued", "delivered"})


@dataclass(frozen=True, slots=True)
class Lateness:
    """A delivery against its due times: ``overdue`` (now) and ``late`` (it happened after)."""

    overdue: tuple[str, ...]
    late: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"overdue": [...], "late": [...]}`` (``received``, ``completed``)."""
        return {"overdue": list(self.overdue), "late": list(self.late)}


def lateness(
    state: str,
    receipts: Sequence[tuple[str, datetime]],
    due_received: datetime | None,
    due_completed: datetime | None,
    now: datetime,
    *,
    withdrawn: bool = False,
) -> Lateness:
    """``receipts``: ``(status code, hub time)`` of the delivery, in time order."""
    if withdrawn:
        return Lateness((), ())
    received = next((at for code, at in receipts if code in RECEIVED_CODES), None)
    done = next((at for code, at in receipts if code in DONE_CODES), None)
    overdue, late = [], []
    for name, due, at in (("received", due_received, received), ("completed", due_completed, done)):
        if due is None:
            continue
        if at is not None:
            if at > due:
                late.append(name)
        elif state not in _ENDED and now > due:
            overdue.append(name)
    return Lateness(tuple(overdue), tuple(late))


def unanswered(state: str) -> bool:
    """True while the recipient has said nothing (the "received" due time applies)."""
    return state in _UNANSWERED
