"""Pluggable connectors between a unit's mailbox on the hub and the unit's own system.

The contract is :class:`Adapter` (:mod:`adapters.base`); adapters are found by name
through the ``lienthong.adapters`` entry-point group (:mod:`adapters.registry`) and run
by :class:`adapters.runner.AdapterRunner`. See ``docs/adapters.md``.
"""

from adapters.base import (
    Adapter,
    AdapterError,
    AdapterHealth,
    InboundFile,
    InboundItem,
    OutboundFile,
    OutboundItem,
    SendResult,
    Settlement,
)
from adapters.registry import available, build_adapter, load_adapter

__all__ = [
    "Adapter",
    "AdapterError",
    "AdapterHealth",
    "InboundFile",
    "InboundItem",
    "OutboundFile",
    "OutboundItem",
    "SendResult",
    "Settlement",
    "available",
    "build_adapter",
    "load_adapter",
]
