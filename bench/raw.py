"""The raw pipeline: the least work any hub must do per document, in one process.

For each signed document: ``verify_envelope`` (the hub's XML-DSig verify with the trust
store), ``seal_receipt`` (sign a receipt about it), then publish both — the envelope and
the receipt — persistent, with publisher confirms, many in flight, to a quorum queue on
the real RabbitMQ (its own vhost), and consume + ack them on a second channel. The rate
is documents per second from the first verify to the last ack. No database, no HTTP: the
ratio ``e2e / raw`` says how much the rest of the hub costs.

:func:`measure_sealed` is the same for documents the hub seals itself (multipart, edXML):
seal the envelope and a receipt (two signatures), publish both, consume both.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika

from bench.common import vhost
from gateway.envelope.model import Envelope, Receipt, Status
from gateway.envelope.seal import seal_envelope, seal_receipt
from gateway.envelope.verify import verify_envelope

IN_FLIGHT = 256


def _verify_and_receipt(world: Any) -> Callable[[Any], tuple[bytes, bytes]]:
    """A pre-signed document's work: verify it, seal a receipt about it."""

    def work(doc: tuple[str, str, str, bytes]) -> tuple[bytes, bytes]:
        _mid, _sender, recipient, xml = doc
        verified = verify_envelope(xml, world.trust)
        receipt = _receipt(verified.envelope.message_id, verified.digest, recipient)
        key, cert = world.signers.get(recipient) or world.signers[verified.signer_unit]
        return verified.xml, seal_receipt(receipt, key, cert)

    return work


def _seal_and_receipt(world: Any) -> Callable[[Any], tuple[bytes, bytes]]:
    """A hub-sealed document's work: seal the envelope, seal a receipt about it."""

    def work(env: Envelope) -> tuple[bytes, bytes]:
        sender, recipient = env.sender, env.recipients[0]
        key, cert = world.signers[sender]
        xml = seal_envelope(env, key, cert)
        receipt = _receipt(env.message_id, hashlib.sha256(xml).hexdigest(), recipient)
        key, cert = world.signers.get(recipient) or world.signers[sender]
        return xml, seal_receipt(receipt, key, cert)

    return work


def _receipt(message_id: uuid.UUID, digest: str, recipient: str) -> Receipt:
    return Receipt(
        receipt_id=uuid.uuid4(),
        message_id=message_id,
        envelope_digest=digest,
        recipient=recipient,
        status=Status.RECEIVED,
        timestamp=datetime.now(UTC),
        issuer=recipient,
    )


async def _pipeline(
    url: str, docs: Sequence[Any], work: Callable[[Any], tuple[bytes, bytes]]
) -> float:
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
        for doc in docs:
            for body in work(doc):
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
        seconds = await _pipeline(url, docs, _verify_and_receipt(world))
    return {"docs": len(docs), "seconds": round(seconds, 3), "docs_per_s": len(docs) / seconds}


async def measure_sealed(envelopes: Sequence[Envelope], world: Any) -> dict[str, float]:
    """Documents per second of the raw pipeline for hub-sealed documents: two signatures
    (the envelope, the receipt), publish-confirm both, consume both."""
    with vhost() as url:
        seconds = await _pipeline(url, envelopes, _seal_and_receipt(world))
    count = len(envelopes)
    return {"docs": count, "seconds": round(seconds, 3), "docs_per_s": count / seconds}
