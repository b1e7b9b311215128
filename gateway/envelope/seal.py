"""Model -> signed bytes: build the element, sign it, return the document.

:class:`Sealing` does it for the hub, on its event loop or on signing threads: xmlsec lets
go of the GIL while it signs (the RSA operation, most of a seal), so on a thread the
signature runs on another core beside the loop instead of stopping it.
It can pay where cores are free beside the hub; on two cores shared with PostgreSQL and
RabbitMQ the hand-offs cost more than they free (``docs/benchmarks.md``, "Decisions").
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from cryptography import x509

from gateway.envelope.codec import envelope_to_element, receipt_to_element
from gateway.envelope.model import Envelope, Receipt
from gateway.envelope.signing import sign_element
from gateway.pki.keyfiles import PrivateKey

__all__ = ["Sealing", "seal_envelope", "seal_receipt"]


def seal_envelope(env: Envelope, key: PrivateKey, cert: x509.Certificate) -> bytes:
    """The signed XML of ``env`` (enveloped XML-DSig with ``key``; ``cert`` in KeyInfo)."""
    return sign_element(envelope_to_element(env), key, cert)


def seal_receipt(r: Receipt, key: PrivateKey, cert: x509.Certificate) -> bytes:
    """The signed XML of receipt ``r``."""
    return sign_element(receipt_to_element(r), key, cert)


def _seal(model: Envelope | Receipt, key: PrivateKey, cert: x509.Certificate) -> bytes:
    if isinstance(model, Envelope):
        return seal_envelope(model, key, cert)
    return seal_receipt(model, key, cert)


class Sealing:
    """Seals for the hub: on the event loop (``threads=0``) or on that many threads."""

    def __init__(self, threads: int = 0) -> None:
        self.threads = threads
        self._pool = (
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="seal") if threads else None
        )

    async def seal(
        self, model: Envelope | Receipt, key: PrivateKey, cert: x509.Certificate
    ) -> bytes:
        """:func:`seal_envelope` or :func:`seal_receipt` of ``model``."""
        if self._pool is None:
            return _seal(model, key, cert)
        return await asyncio.get_running_loop().run_in_executor(self._pool, _seal, model, key, cert)

    def close(self) -> None:
        """Let the signing threads go once the seals under way are done."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
