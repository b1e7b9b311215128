"""A started hub on both stacks: SQLite + local bus, and PostgreSQL + RabbitMQ.

The world: a province PROV, districts A and B, communes A1 and A2 under A (the group GA is
"communes of A"), and a stranger S. Keys are ECDSA (fast to issue).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.config import Config, load_config
from gateway.directory import Principal
from gateway.envelope.model import DocumentMeta, Envelope
from gateway.envelope.seal import seal_envelope
from gateway.hub import Hub

PROV, A, B, A1, A2, S = (
    "000.00.00.H01",
    "000.00.01.H01",
    "000.00.02.H01",
    "000.01.01.H01",
    "000.02.01.H01",
    "000.00.09.H01",
)
GA = "XA.01.H01"


def make_config(home: Path, db_url: str, bus_url: str) -> Config:
    """The test hub's config: given database and bus, ECDSA keys, short windows."""
    config = load_config(home, env={})
    return replace(
        config,
        database=replace(config.database, url=db_url),
        bus=replace(config.bus, url=bus_url),
        keys=replace(config.keys, key_type="ecdsa-p256"),
    )


async def populate(hub: Hub) -> None:
    """The test directory (idempotent: a second hub on the same database skips it)."""
    d = hub.directory
    if await d.exists(PROV):
        return
    await d.add(PROV, "Province")
    for code, name in ((A, "District A"), (B, "District B"), (S, "Stranger")):
        await d.add(code, name, PROV)
    await d.add(A1, "Commune A1", A)
    await d.add(A2, "Commune A2", A)
    await d.add_children_group(GA, A)


@dataclass
class Stack:
    """How to build hubs on one stack (database + bus)."""

    name: str
    config: Config

    async def hub(self, **options: Any) -> Hub:
        """A started hub with the test directory and every mailbox consumed."""
        hub = Hub(self.config, **options)
        await hub.start()
        await populate(hub)
        if options.get("consume", True):
            await hub.consumers.sync()
        return hub


def unit(code: str) -> Principal:
    """A unit caller."""
    return Principal(unit=code)


OPERATOR = Principal(operator="ops")


async def signed_envelope(
    hub: Hub,
    sender: str,
    recipients: tuple[str, ...] = (),
    groups: tuple[str, ...] = (),
    *,
    subject: str = "Công văn thử",
    message_id: uuid.UUID | None = None,
    expires: datetime | None = None,
) -> tuple[str, bytes]:
    """(message id, XML) of an envelope sealed with ``sender``'s key (issued if needed)."""
    env = Envelope(
        message_id=message_id or uuid.uuid4(),
        sender=sender,
        recipients=recipients,
        groups=groups,
        created=datetime.now(UTC),
        expires=expires,
        document=DocumentMeta(subject=subject, number="12", notation="12/UBND-VP"),
    )
    key, cert = await hub.signers.for_document(sender)
    return str(env.message_id), seal_envelope(env, key, cert)


async def eventually(
    probe: Callable[[], Any], *, timeout: float = 10.0, every: float = 0.05
) -> Any:
    """Poll the async ``probe`` until it returns something truthy (or fail)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        await asyncio.sleep(every)


def soon(seconds: float) -> datetime:
    """A time ``seconds`` from now."""
    return datetime.now(UTC) + timedelta(seconds=seconds)
