"""The raw pipeline: the least work any hub must do per document, in one process.

For each signed document: ``verify_envelope`` (the hub's XML-DSig verify with the trust
store), ``seal_receipt`` (sign a receipt about it), then publish both — the envelope and
the receipt — persistent, with publisher confirms, many in flight, to a quorum queue on
the real RabbitMQ (its own vhost), and consume + ack them on a second channel. The rate
is documents per second from the first verify to the last ack. No database, no HTTP: the
ratio ``e2e / raw`` says how much the rest of the hub costs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika

from bench.common import vhost
from gateway.envelope.model import Receipt, Status
from gateway.envelope.seal import seal_receipt
from gateway.envelope.verify import verify_envelope

IN_FLIGHT = 256


async def _pipeline(url: str, docs: Sequence[tuple[str, str, str, bytes]], world: Any) -> float:
    conn = await aio_pika.connect_robust(url)
    try:
        pub = await conn.channel(publisher_confirms=True)
        sub = await conn.channel()
        await sub.set_qos(prefetch_count=IN_FLIGHT)
        args = {"x-queue-type": "quorum"}
        await pub.declare_queue("raw", durable=True, arguments=args)
        queue = await sub.declare_queue("raw", durable=True, arguments=args)
        expected, seen = 2 * len(docs), 0
        done = asyncio.Event()

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            await message.ack()
            seen += 1
            if seen >= expected:
                done.set()

        await queue.consume(on_message)
        slots = asyncio.Semaphore(IN_FLIGHT)
        tasks: list[asyncio.Task[None]] = []

        async def publish(body: bytes) -> None:
            message = aio_pika.Message(
                body, message_id=str(uuid.uuid4()), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            )
            try:
                await pub.default_exchange.publish(message, "raw")
            finally:
                slots.release()

        began = time.perf_counter()
        for _mid, _sender, recipient, xml in docs:
            verified = verify_envelope(xml, world.trust)
            receipt = Receipt(
                receipt_id=uuid.uuid4(),
                message_id=verified.envelope.message_id,
                envelope_digest=verified.digest,
                recipient=recipient,
                status=Status.RECEIVED,
                timestamp=datetime.now(UTC),
                issuer=recipient,
            )
            key, cert = world.signers.get(recipient) or world.signers[verified.signer_unit]
            receipt_xml = seal_receipt(receipt, key, cert)
            for body in (verified.xml, receipt_xml):
                await slots.acquire()
                tasks.append(asyncio.create_task(publish(body)))
        await asyncio.gather(*tasks)
        await asyncio.wait_for(done.wait(), 120)
        return time.perf_counter() - began
    finally:
        await conn.close()


async def measure(docs: Sequence[tuple[str, str, str, bytes]], world: Any) -> dict[str, float]:
    """Documents per second of the raw pipeline over ``docs`` (on a fresh vhost)."""
    with vhost() as url:
        seconds = await _pipeline(url, docs, world)
    return {"docs": len(docs), "seconds": round(seconds, 3), "docs_per_s": len(docs) / seconds}
