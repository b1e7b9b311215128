"""Prometheus metrics: flow counts read from the database, latencies observed in process.

Counts (accepted, delivered, by unit and state; receipts by status) come from the store
at scrape time, so every hub process reports the same totals whatever process did the
work. Latencies are histograms observed where receipts are issued. Each hub has its own
registry, so several hubs in one process (tests) never clash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from gateway.deadlines.escalation import overdue_counts
from gateway.deadlines.sends import send_counts
from gateway.store.changes import shown_state
from gateway.store.models import DeliveryRow, MessageRow, OutboxEntryRow, ReceiptRow

__all__ = ["CONTENT_TYPE", "HubMetrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600)


class _Parts(Protocol):
    db: Any
    bus: Any


class HubMetrics:
    """The metric families of one hub and how to refresh them before a scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Gauge(
            "lienthong_messages_accepted", "Messages accepted, by sender", ["unit"], registry=r
        )
        self.deliveries = Gauge(
            "lienthong_deliveries",
            "Deliveries by recipient and state (withdrawn: revoked or replaced, not fetched)",
            ["unit", "state"],
            registry=r,
        )
        self.receipts = Gauge(
            "lienthong_receipts", "Receipts by recipient and status", ["unit", "status"], registry=r
        )
        self.outbox_pending = Gauge(
            "lienthong_outbox_pending", "Outbox rows not yet published", registry=r
        )
        self.outbox_lag = Gauge(
            "lienthong_outbox_lag_seconds", "Age of the oldest unpublished outbox row", registry=r
        )
        self.queue_depth = Gauge(
            "lienthong_queue_depth", "Messages ready in a unit's bus mailbox", ["unit"], registry=r
        )
        self.dead_letters = Gauge(
            "lienthong_dead_letters", "Messages the bus dead-lettered", registry=r
        )
        self.adapter_up = Gauge(
            "lienthong_adapter_up", "1 when an adapter is healthy", ["adapter"], registry=r
        )
        self.overdue = Gauge(
            "lienthong_overdue_deliveries",
            "Deliveries past their due time to be received or completed",
            ["due"],
            registry=r,
        )
        self.escalation_sends = Gauge(
            "lienthong_escalation_sends",
            "Overdue notices by external channel and state (unknown: needs an operator)",
            ["channel", "state"],
            registry=r,
        )
        self.receipt_latency = Histogram(
            "lienthong_receipt_latency_seconds",
            "From a message's acceptance to a receipt about it, by status",
            ["status"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )

    def observe_receipt(self, status_code: str, accepted_at: datetime) -> None:
        """Record how long after acceptance a receipt came."""
        elapsed = (datetime.now(UTC) - accepted_at).total_seconds()
        self.receipt_latency.labels(status=status_code).observe(max(0.0, elapsed))

    async def render(self, hub: _Parts, adapters: dict[str, dict[str, Any]] | None = None) -> bytes:
        """Refresh the gauges from the store and the bus, then the exposition text."""
        await self._refresh_store(hub.db)
        await self._refresh_bus(hub.bus)
        for name, health in (adapters or {}).items():
            self.adapter_up.labels(adapter=name).set(1 if health.get("ok") else 0)
        return bytes(generate_latest(self.registry))

    async def _refresh_store(self, db: Any) -> None:
        async with db.read() as session:
            sent = await session.execute(
                select(MessageRow.sender, func.count()).group_by(MessageRow.sender)
            )
            shown = select(
                DeliveryRow.recipient,
                shown_state(DeliveryRow.message_id, DeliveryRow.state).label("state"),
            ).subquery()
            states = await session.execute(
                select(shown.c.recipient, shown.c.state, func.count()).group_by(
                    shown.c.recipient, shown.c.state
                )
            )
            receipts = await session.execute(
                select(ReceiptRow.recipient, ReceiptRow.status_code, func.count()).group_by(
                    ReceiptRow.recipient, ReceiptRow.status_code
                )
            )
            pending = (
                await session.execute(
                    select(func.count(), func.min(OutboxEntryRow.created_at)).where(
                        OutboxEntryRow.published_at.is_(None)
                    )
                )
            ).one()
            _fill(self.messages, ((u, n) for u, n in sent))
            _fill(self.deliveries, ((u, s, n) for u, s, n in states))
            _fill(self.receipts, ((u, s, n) for u, s, n in receipts))
            overdue = await overdue_counts(session, datetime.now(UTC))
            _fill(self.overdue, overdue.items())
            _fill(self.escalation_sends, await send_counts(session))
        self.outbox_pending.set(pending[0] or 0)
        oldest = pending[1]
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        self.outbox_lag.set((datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)

    async def _refresh_bus(self, bus: Any) -> None:
        try:
            depths = await bus.queue_depths()
            dead = await bus.dead_letter_count()
        except Exception:  # the bus being down is what /readyz reports; metrics go on
            return
        _fill(self.queue_depth, depths.items())
        self.dead_letters.set(dead)


def _fill(gauge: Gauge, rows: Any) -> None:
    gauge.clear()
    for *labels, value in rows:
        gauge.labels(*labels).set(value)
