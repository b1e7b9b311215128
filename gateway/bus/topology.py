"""Names and arguments of everything the RabbitMQ bus declares, and its message headers.

::

    lienthong.documents (direct) ─┐ routing key = unit code
    lienthong.receipts  (direct) ─┴─► lienthong.mailbox.<UNIT>  (quorum, durable)
                                          │ x-delivery-limit, rejected, expired
                                          ▼
                                 lienthong.dlx (fanout) ──► lienthong.dead (quorum)

Mailboxes are quorum queues (replicated, a confirm means a quorum has the message on
disk) with an explicit ``x-delivery-limit`` (3.10 has no default, a poison message would
loop forever) and at-least-once dead-lettering (``x-dead-letter-strategy=at-least-once``
needs ``x-overflow=reject-publish``). Queue arguments cannot change once declared: a
different ``delivery_limit`` on an existing mailbox is refused by the broker
(``bus.topology_mismatch``); change it with a RabbitMQ policy instead.
"""

from __future__ import annotations

from typing import Final

from gateway.bus.base import DOCUMENTS, RECEIPTS

EXCHANGES: Final = {DOCUMENTS: "lienthong.documents", RECEIPTS: "lienthong.receipts"}
TOPIC_OF_EXCHANGE: Final = {name: topic for topic, name in EXCHANGES.items()}
DLX: Final = "lienthong.dlx"
DEAD_QUEUE: Final = "lienthong.dead"
MAILBOX_PREFIX: Final = "lienthong.mailbox."

# Headers the bus writes (every ``x-`` header is hidden from handlers).
H_TOPIC: Final = "x-lienthong-topic"
H_EXPIRES_AT: Final = "x-lienthong-expires-at"  # epoch milliseconds
H_REASON: Final = "x-lienthong-reason"
H_ERROR: Final = "x-lienthong-error"
H_ATTEMPTS: Final = "x-lienthong-attempts"
H_DELIVERY_COUNT: Final = "x-delivery-count"  # set by quorum queues: earlier returns


def mailbox_queue(unit: str) -> str:
    """The queue name of a unit's mailbox (the unit code is already checked)."""
    return MAILBOX_PREFIX + unit


def mailbox_arguments(delivery_limit: int) -> dict[str, str | int]:
    """Arguments of every mailbox queue; ``delivery_limit`` deliveries in all."""
    return {
        "x-queue-type": "quorum",
        # RabbitMQ counts *returns*: limit N allows N + 1 deliveries.
        "x-delivery-limit": max(delivery_limit - 1, 0),
        "x-dead-letter-exchange": DLX,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


DEAD_ARGUMENTS: Final[dict[str, str | int]] = {"x-queue-type": "quorum"}
