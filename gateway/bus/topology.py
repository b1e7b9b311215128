"""Names and arguments of everything the RabbitMQ bus declares, and its message headers.

::

    lienthong.documents (direct) ─┐ routing key = unit code
    lienthong.receipts  (direct) ─┴─► lienthong.mailbox.<UNIT>  (quorum, durable)
                                          │ x-delivery-limit, rejected, expired
                                          ▼
                                 lienthong.dlx (fanout) ──► lienthong.dead (quorum)

With ``[bus] shards = N`` (N > 0) the units share N delivery queues instead
(:mod:`gateway.bus.rabbit_sharded`)::

    lienthong.documents ─┐ routing key = lienthong.delivery.<NN>, header x-lienthong-unit
    lienthong.receipts  ─┴─► lienthong.delivery.<NN>  (quorum, durable; NN = crc32(unit) mod N)

Mailboxes are quorum queues (replicated, a confirm means a quorum has the message on
disk) with an explicit ``x-delivery-limit`` (3.10 has no default, a poison message would
loop forever) and at-least-once dead-lettering (``x-dead-letter-strategy=at-least-once``
needs ``x-overflow=reject-publish``). Queue arguments cannot change once declared: a
different ``delivery_limit`` on an existing mailbox is refused by the broker
(``bus.topology_mismatch``); change it with a RabbitMQ policy instead.
"""

from __future__ import annotations

import zlib
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
H_UNIT: Final = "x-lienthong-unit"  # the recipient unit, on a shared delivery queue
SHARD_PREFIX: Final = "lienthong.delivery."
#: The most delivery queues a hub may shard its units over.
MAX_SHARDS: Final = 1024


def mailbox_queue(unit: str) -> str:
    """The queue name of a unit's mailbox (the unit code is already checked)."""
    return MAILBOX_PREFIX + unit


def shard_of(unit: str, shards: int) -> int:
    """The delivery queue of ``unit`` among ``shards`` (stable across processes and runs)."""
    return zlib.crc32(unit.encode()) % shards


def shard_queue(shard: int) -> str:
    """The name (and routing key) of delivery queue number ``shard``."""
    return f"{SHARD_PREFIX}{shard:02d}"


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
