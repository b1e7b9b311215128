"""The hub's own delivery states, before the recipient says anything: a delivery is
``submitted`` when accepted (the 202), ``queued`` once its outbox row is on the bus and
``delivered`` once its recipient fetched it. The store moves deliveries along them by
itself (the accept, the publish and fetch marks, the mailbox step); everything after
them (the recipient's answers, take-backs, final states) is the pipeline's transition
rules (:mod:`gateway.pipeline.states`, which re-exports these names), handed to the store
as :class:`~gateway.store.rules.DeliveryRules`.
"""

from __future__ import annotations

__all__ = ["DELIVERED", "QUEUED", "SUBMITTED", "TRANSPORT_STATES", "advance_transport"]

SUBMITTED = "submitted"
QUEUED = "queued"
DELIVERED = "delivered"

#: The hub's own states before the recipient says anything, in order.
TRANSPORT_STATES = (SUBMITTED, QUEUED, DELIVERED)


def advance_transport(current: str, target: str) -> str:
    """Move along submitted → queued → delivered; never backwards (returns the later one).
    A delivery past the transport states (any other state) stays where it is."""
    if current not in TRANSPORT_STATES or target not in TRANSPORT_STATES:
        return current
    return target if TRANSPORT_STATES.index(target) > TRANSPORT_STATES.index(current) else current
