"""The message bus: one interface, an in-process bus and a RabbitMQ bus.

``open_bus(url)`` picks the implementation from the URL scheme: ``local://`` →
:class:`~gateway.bus.local.LocalBus`, ``amqp://`` / ``amqps://`` →
:class:`~gateway.bus.rabbit.RabbitBus` (imported only when used);
``open_configured_bus(config)`` opens the one ``[bus]`` names. See
:mod:`gateway.bus.base` for the semantics both share.
"""

from __future__ import annotations

from typing import Any

from gateway.bus.base import (
    DOCUMENTS,
    RECEIPTS,
    TOPICS,
    Bus,
    BusDelivery,
    Consumer,
    DeadLetter,
    Handler,
    check_routing,
)
from gateway.bus.dispatch import RetryPolicy
from gateway.config import Config
from gateway.errors import ConfigError

__all__ = [
    "DOCUMENTS",
    "RECEIPTS",
    "TOPICS",
    "Bus",
    "BusDelivery",
    "Consumer",
    "DeadLetter",
    "Handler",
    "RetryPolicy",
    "check_routing",
    "open_bus",
    "open_configured_bus",
]

_SCHEMES = ("local", "amqp", "amqps")


def open_bus(url: str, **opts: Any) -> Bus:
    """A not yet connected bus for ``url``; ``opts`` go to the implementation.

    Options: ``prefetch``, ``delivery_limit``, ``confirm_timeout`` (RabbitMQ only),
    ``shards`` (RabbitMQ only: 0 = a mailbox queue per unit, N = N shared delivery queues),
    ``backoff_base``, ``backoff_max``, ``drain_timeout``, ``reconnect_interval``
    (RabbitMQ only).
    """
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    if scheme == "local":
        from gateway.bus.local import LocalBus

        opts.pop("confirm_timeout", None)
        opts.pop("reconnect_interval", None)
        opts.pop("shards", None)  # one process: nothing to shard
        return LocalBus(**opts)
    if scheme in ("amqp", "amqps"):
        from gateway.bus.rabbit import RabbitBus

        shards = opts.pop("shards", 0)
        if shards:
            from gateway.bus.rabbit_sharded import ShardedRabbitBus

            return ShardedRabbitBus(url, shards=shards, **opts)
        return RabbitBus(url, **opts)
    hint = _suggest(scheme)
    raise ConfigError(
        f"unknown bus URL scheme {scheme or url!r}{hint}; use local:// or amqp://",
        code="config.invalid",
    )


def _suggest(scheme: str) -> str:
    import difflib

    close = difflib.get_close_matches(scheme, _SCHEMES, n=1)
    return f" (did you mean {close[0]}://?)" if close else ""


def open_configured_bus(config: Config) -> Bus:
    """The bus of ``[bus]`` (not yet connected)."""
    bus = config.bus
    options: dict[str, Any] = {"prefetch": bus.prefetch, "delivery_limit": bus.delivery_limit}
    if not bus.url.startswith("local"):
        options["confirm_timeout"] = bus.confirm_timeout_seconds
        options["shards"] = bus.shards
    return open_bus(bus.url, **options)
