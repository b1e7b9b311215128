"""Per-delivery states and the transitions between them.

::

    submitted ─► queued ─► delivered ─► 01 received ─► 03 accepted ─► 04 assigned ─► 05 ─► 06
        │          │          │             └► 02 rejected       (03..05 may skip forward)
        └──────────┴──────────┴─► expired | failed
    13 recall_requested (sender) ─► 15 recall_agreed | 16 recall_refused (recipient)
    revoke/update/replace (a document of kind 1/2/3) ─► 15 | 16 (recipient), on the
    changing document's delivery or the original's

The hub's own acceptance (the 202) is the state ``submitted``, so that it is never confused
with edXML 03 ``accepted`` (the recipient registered the document).

A delivery's state only moves forward; a status that would move it back is refused with
``receipt.illegal_transition``. The recipient's first answer is 01 (received), 02
(rejected) or 03 (accepted, which says received too); 04, 05 or 06 on a delivery still in
a transport state (``submitted``, ``queued``, ``delivered``) skips it and is refused with
``receipt.out_of_order``, also when a take-back (13) came between.
"""

from __future__ import annotations

from gateway.envelope.model import Status
from gateway.errors import IllegalTransitionError, ReceiptError
from gateway.store.rules import DeliveryRules

# The transport leg (submitted → queued → delivered) is moved by the store itself, so its
# names are defined beside it and re-exported here with the rules that follow it.
from gateway.store.transport import (
    DELIVERED,
    QUEUED,
    SUBMITTED,
    TRANSPORT_STATES,
    advance_transport,
)

__all__ = [
    "ANSWER_CODES",
    "DELIVERED",
    "QUEUED",
    "RECALL_STATES",
    "RULES",
    "SUBMITTED",
    "TRANSPORT_STATES",
    "advance_transport",
    "is_final",
    "next_state",
]

_ORDER = {
    SUBMITTED: 0,
    QUEUED: 1,
    DELIVERED: 2,
    Status.RECEIVED.label: 3,
    Status.ACCEPTED.label: 4,
    Status.ASSIGNED.label: 5,
    Status.PROCESSING.label: 6,
    Status.COMPLETED.label: 7,
}
_FINAL = {
    Status.REJECTED.label,
    Status.COMPLETED.label,
    Status.EXPIRED.label,
    Status.FAILED.label,
    Status.RECALL_AGREED.label,
}

#: What a recipient may say first about a delivery (03 says received as well).
_FIRST_ANSWERS = frozenset({Status.RECEIVED, Status.REJECTED, Status.ACCEPTED})
#: What may follow only a first answer.
_LATER_ANSWERS = frozenset({Status.ASSIGNED, Status.PROCESSING, Status.COMPLETED})
#: Every code of a recipient's own answer (01-06).
ANSWER_CODES = tuple(s.code for s in (*_FIRST_ANSWERS, *_LATER_ANSWERS))


def is_final(state: str) -> bool:
    """True when no further status can follow ``state``."""
    return state in _FINAL


#: States a take-back (13) puts a delivery in, whatever the recipient had said before.
RECALL_STATES = (Status.RECALL_REQUESTED.label, Status.RECALL_REFUSED.label)


def next_state(
    current: str, status: Status, *, answers_change: bool = False, answered: bool = True
) -> str:
    """The delivery state after ``status`` is posted in ``current``, or raise.

    ``answers_change``: the message is a revoke/update/replace, or one changes it; 15 and
    16 then answer that change as well as a take-back (13), once, before any final state.
    ``answered``: the recipient has given its first answer (01, 02 or 03) already; read by
    the caller only in a take-back state, which hides it.
    """
    new = status.label
    if is_final(current):
        raise _illegal(current, status)
    if status is Status.RECALL_REQUESTED:
        return new
    if status in (Status.RECALL_AGREED, Status.RECALL_REFUSED):
        answered = current in (Status.RECALL_AGREED.label, Status.RECALL_REFUSED.label)
        if current != Status.RECALL_REQUESTED.label and (answered or not answers_change):
            raise _illegal(current, status)
        return new
    if current in RECALL_STATES:
        # the recipient refused (or has not yet answered) the take-back: work continues,
        # but a 13 does not stand in for the recipient's first answer
        if not answered and status in _LATER_ANSWERS:
            raise _out_of_order(current, status)
        return new
    if status in (Status.EXPIRED, Status.FAILED):
        return new
    if status is Status.REJECTED:
        if _ORDER.get(current, 99) > _ORDER[Status.RECEIVED.label]:
            raise _illegal(current, status)
        return new
    if _ORDER.get(new, -1) <= _ORDER.get(current, -1):
        raise _illegal(current, status)
    if current in TRANSPORT_STATES and status not in _FIRST_ANSWERS:
        raise _out_of_order(current, status)
    return new


def _out_of_order(current: str, status: Status) -> ReceiptError:
    return ReceiptError(
        f"status {status.code} ({status.label}) before the recipient's first answer "
        f"(01, 02 or 03) in {current!r}",
        code="receipt.out_of_order",
    )


def _illegal(current: str, status: Status) -> IllegalTransitionError:
    return IllegalTransitionError(
        f"status {status.code} ({status.label}) is not allowed after {current!r}"
    )


#: The rules as the store applies them (``MessageStore(db, rules=RULES)``).
RULES = DeliveryRules(
    next_state=next_state,
    final_states=frozenset(_FINAL),
    recall_states=RECALL_STATES,
    answer_codes=ANSWER_CODES,
)
