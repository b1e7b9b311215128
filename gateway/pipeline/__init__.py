"""The path of one document through the hub, a stage per module, in this order.

====  ========  =======================================================================
 1    intake    ``intake.py``: size limits, before anything parses the bytes
 2    verify    ``verify.py``: signature, chain, sender, times, attachments
 3    accept    ``accept.py``: recipients expanded; one transaction stores the message,
                its deliveries and their outbox rows
 4    relay     ``relay.py``: outbox rows onto the bus, marked published after the confirm
 5    mailbox   ``mailbox.py``: bus messages into the unit's mailbox, exactly once
 6    deliver   the unit fetches (long-poll) and acks: still ``Hub.mailbox`` /
                ``Hub.ack_items`` in ``gateway/hub.py`` (to become ``deliver.py``)
 7    receipt   ``receipt.py``: a signed statement about one delivery (also recall, failure)
 8    status    ``status.py``: one timeline per message
====  ========  =======================================================================

:data:`STAGES` names the module of each stage, in order. ``flow.py`` builds stages 1-3
from the config. The other modules are helpers the stages share, not stages: ``states``
(the delivery state machine), ``document`` (metadata JSON → envelope), ``signers`` (the
keys the hub signs with), ``expiry``, ``notify`` (wakes long-polls), ``succession`` (a
successor's mailbox). The map of the whole house is docs/architecture.md.
"""

from __future__ import annotations

__all__ = ["STAGES"]

#: (stage, module) in the order a document passes them.
STAGES: tuple[tuple[str, str], ...] = (
    ("intake", "gateway.pipeline.intake"),
    ("verify", "gateway.pipeline.verify"),
    ("accept", "gateway.pipeline.accept"),
    ("relay", "gateway.pipeline.relay"),
    ("mailbox", "gateway.pipeline.mailbox"),
    ("deliver", "gateway.hub"),
    ("receipt", "gateway.pipeline.receipt"),
    ("status", "gateway.pipeline.status"),
)
