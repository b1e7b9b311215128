"""The path of one document through the hub, a stage per module, in this order.

====  ========  =======================================================================
 1    intake    ``intake.py``: size limits, before anything parses the bytes
 2    verify    ``verify.py``: signature, chain, sender, times, attachments
 3    accept    ``accept.py``: recipients expanded; one transaction stores the message,
                its deliveries and their outbox rows
 4    relay     ``relay.py``: outbox rows onto the bus, marked published after the confirm
 5    mailbox   ``mailbox.py``: bus messages into the unit's mailbox, exactly once
 6    deliver   ``deliver.py``: the unit fetches its mailbox (long-poll) and acks
 7    receipt   ``receipt.py``: a signed statement about one delivery (also recall, failure)
 8    status    ``status.py``: one timeline per message
====  ========  =======================================================================

:data:`STAGES` names the module of each stage, in order. Everything else in the package
is not a stage, and :data:`HELPERS` lists it apart: ``flow`` builds stages 1-3 from the
config (and seals a unit's document before them); the others are helpers the stages
share: ``states`` (the delivery state machine), ``document`` (metadata JSON → envelope),
``signers`` (the keys the hub signs with), ``expiry``, ``notify`` (wakes long-polls),
``peer_wakeups`` (wakes the other hub processes' long-polls), ``succession`` (a
successor's mailbox), ``handover`` (a successor's first read of a
retired unit's item, in the timeline), ``admission`` (refuses a submission while the
hub is overloaded), ``unit_services`` (sealing, files and the directory for adapters).
The map of the whole house is
docs/architecture.md; the hub (``gateway/hub.py``) authorises a caller, then calls a stage.
"""

from __future__ import annotations

__all__ = ["HELPERS", "STAGES"]

#: (stage, module) in the order a document passes them.
STAGES: tuple[tuple[str, str], ...] = (
    ("intake", "gateway.pipeline.intake"),
    ("verify", "gateway.pipeline.verify"),
    ("accept", "gateway.pipeline.accept"),
    ("relay", "gateway.pipeline.relay"),
    ("mailbox", "gateway.pipeline.mailbox"),
    ("deliver", "gateway.pipeline.deliver"),
    ("receipt", "gateway.pipeline.receipt"),
    ("status", "gateway.pipeline.status"),
)

#: Modules of the package that are not stages: what builds the stages, and the helpers
#: they share (a document does not pass through these).
HELPERS: tuple[str, ...] = (
    "gateway.pipeline.flow",
    "gateway.pipeline.states",
    "gateway.pipeline.document",
    "gateway.pipeline.signers",
    "gateway.pipeline.expiry",
    "gateway.pipeline.notify",
    "gateway.pipeline.peer_wakeups",
    "gateway.pipeline.succession",
    "gateway.pipeline.handover",
    "gateway.pipeline.admission",
    "gateway.pipeline.unit_services",
)
