"""A hub home to benchmark: config, directory, tokens, unit keys, signed 10 KB envelopes.

The home is prepared in this process through the hub facade's parts (a ``Hub`` that
neither relays nor consumes), then a separate ``lienthong serve`` process runs on it.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import PASSPHRASE
from bench.envelope import envelope_of
from gateway.config import Config, load_config
from gateway.envelope.seal import seal_envelope
from gateway.hub import Hub

PROVINCE = "000.00.00.H99"
ALL_COMMUNES = "XA.00.H99"
DOC_BYTES = 10 * 1024


def unit_codes(count: int) -> list[str]:
    """``count`` distinct commune-like unit codes under :data:`PROVINCE`."""
    return [f"000.{i // 1000:02d}.{i % 1000:03d}.H99" for i in range(count)]


def write_config(
    home: Path,
    db_url: str,
    bus_url: str,
    port: int,
    *,
    max_body: int = 64 * 1024 * 1024,
    shards: int = 0,
) -> Config:
    """``home/config.toml`` for a benchmark hub (``shards``: ``[bus] shards``); returns the
    loaded config."""
    home.mkdir(parents=True, exist_ok=True)
    text = (
        "[hub]\n"
        f'listen = "127.0.0.1:{port}"\n'
        f"max_body_bytes = {max_body}\n"
        "rate_per_minute = 100000000\n"
        "[database]\n"
        f'url = "{db_url}"\n'
        "[bus]\n"
        f'url = "{bus_url}"\n' + (f"shards = {shards}\n" if shards else "")
    )
    (home / "config.toml").write_text(text)
    os.environ["LIENTHONG_KEY_PASSPHRASE"] = PASSPHRASE
    return load_config(home, env={"LIENTHONG_KEY_PASSPHRASE": PASSPHRASE})


@dataclass
class World:
    """What a prepared home holds: units, their tokens, a signer per sending unit."""

    config: Config
    units: list[str]
    tokens: dict[str, str] = field(default_factory=dict)
    signers: dict[str, Any] = field(default_factory=dict)
    trust: Any = None


async def prepare(
    config: Config,
    units: Sequence[str],
    *,
    tokens: Sequence[str] = (),
    keys: Sequence[str] = (),
    group: str | None = None,
) -> World:
    """Migrate, add :data:`PROVINCE` and ``units`` under it (one CSV import), optionally
    a children group, tokens for ``tokens``, signing keys for ``keys``."""
    hub = Hub(config, relay=False, consume=False)
    await hub.start()
    try:
        await hub.directory.add(PROVINCE, "Tỉnh thử")
        if units:
            csv = "".join(f"{code},Xã {i},{PROVINCE}\n" for i, code in enumerate(units))
            await hub.directory.import_csv(csv)
        if group:
            await hub.directory.add_children_group(group, PROVINCE)
        world = World(config, list(units))
        for code in tokens:
            world.tokens[code] = await hub.directory.create_token(unit=code)
        for code in keys:
            world.signers[code] = await hub.signers.for_document(code)
        world.trust = hub.trust()
        return world
    finally:
        await hub.stop()


def signed_documents(
    world: World, pairs: Sequence[tuple[str, str]], size: int = DOC_BYTES
) -> list[tuple[str, str, str, bytes]]:
    """``(message_id, sender, recipient, xml)`` of a signed ~``size``-byte envelope per pair."""
    template = envelope_of(size)
    out = []
    for sender, recipient in pairs:
        env = dataclasses.replace(
            template,
            message_id=uuid.uuid4(),
            sender=sender,
            recipients=(recipient,),
            created=datetime.now(UTC),
        )
        key, cert = world.signers[sender]
        out.append((str(env.message_id), sender, recipient, seal_envelope(env, key, cert)))
    return out
