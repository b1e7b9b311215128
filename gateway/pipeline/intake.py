"""Stage 1, intake: refuse what is too big before anything parses it.

The hardened XML parse itself (no DTD, no entities, depth limit) happens inside
``verify_envelope`` with the same limits, so that the bytes parsed are the bytes verified.
"""

from __future__ import annotations

from gateway.errors import LimitError, MalformedXmlError

__all__ = ["Intake"]


class Intake:
    """Check the raw envelope bytes against the size limit."""

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def __call__(self, data: bytes) -> bytes:
        """Return ``data`` if it may be parsed; ``limit.body_too_large`` / ``xml.malformed``."""
        if len(data) > self.max_bytes:
            raise LimitError(
                f"envelope is {len(data)} bytes, the limit is {self.max_bytes}",
                code="limit.body_too_large",
            )
        if not data.strip():
            raise MalformedXmlError("the envelope is empty")
        return data
