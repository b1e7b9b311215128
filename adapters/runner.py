"""Run the configured adapters: mailbox → ``send`` → ack, and ``poll`` → submit → ``settle``.

For each ``[[adapters]]`` entry the runner builds the adapter (:mod:`adapters.registry`)
and runs two loops as the entry's unit, through the hub facade only:

- **outbound**: ``hub.mailbox(unit, wait, limit)`` → :func:`adapters.items.fetch_outbound`
  → ``adapter.send`` → optional status from the answer (``hub.post_receipt``) →
  ``hub.ack_item`` *only after* the send returned. A crash in between re-sends the item;
  adapters are idempotent by item key.
- **inbound** (adapters with ``"poll"``): ``adapter.poll()`` → submit to the hub →
  ``adapter.settle(item, outcome)``.

The outbound loop runs only for adapters with ``"send"``. Adapters with ``"serve"`` only
(``axis``: the office system pulls over the hub's HTTP API) and ``"federate"`` ones
(``upstream``: run by :class:`adapters.upstream.UpstreamLink`) get no loop here; they are
still built (config errors surface at start) and reported in :meth:`AdapterRunner.health`.

Errors in ``adapter.recoverable_errors`` (and the hub's ``Recoverable``) are retried with
exponential backoff and full jitter; consecutive failures open the adapter's circuit
breaker, which half-opens after its cool-down. Any other error marks the item failed:
the runner has the hub record a hub-signed ``failed`` (91) receipt for the delivery
(:meth:`Hub.report_failure`), records the failure (see
:meth:`AdapterRunner.health`), and acks the item so it is not retried forever.

Options read by the runner in every entry: ``wait`` (mailbox long-poll seconds, 5),
``batch`` (items per mailbox call, 50), ``poll_interval`` (seconds, 2), ``retry_base``
(0.5), ``retry_cap`` (60), ``retry_attempts`` (5), ``breaker_threshold`` (5),
``breaker_cooldown`` (30), ``id`` (the name in health, default ``name:unit``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from adapters.base import Adapter, OutboundItem, SendResult
from adapters.items import fetch_outbound, submit_inbound
from adapters.registry import build_adapter
from adapters.resilience import CLOSED, Backoff, CircuitBreaker
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.errors import GatewayError, Recoverable
from gateway.facade import AdapterFacade

__all__ = ["AdapterRunner", "AdapterSlot", "CircuitOpen"]

log = structlog.get_logger("adapters.runner")

#: The reason posted for a rejection the unit's system sent without one.
_NO_REASON = "rejected by the unit's system (no reason given)"


class CircuitOpen(Exception):
    """The adapter's breaker is open: no call goes out until the cool-down ends."""


@dataclass
class AdapterSlot:
    """One running adapter: its unit, breaker, retry policy and recent errors."""

    label: str
    adapter: Adapter
    principal: Principal
    breaker: CircuitBreaker
    backoff: Backoff
    wait: float = 5.0
    batch: int = 50
    poll_interval: float = 2.0
    streak: int = 0
    last_error: str | None = None
    failed: dict[str, str] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, entry: AdapterConfig, adapter: Adapter) -> AdapterSlot:
        """A slot from one ``[[adapters]]`` entry and its built adapter."""
        opts = entry.options
        return cls(
            label=str(opts.get("id") or f"{entry.name}:{entry.unit}"),
            adapter=adapter,
            principal=Principal(unit=entry.unit),
            breaker=CircuitBreaker.from_options(opts),
            backoff=Backoff.from_options(opts),
            wait=float(opts.get("wait", 5.0)),
            batch=int(opts.get("batch", 50)),
            poll_interval=float(opts.get("poll_interval", 2.0)),
        )

    def recoverable(self, exc: BaseException) -> bool:
        """Worth a retry: the adapter says so, or the hub is momentarily unavailable."""
        return isinstance(exc, Recoverable) or self.adapter.is_recoverable(exc)


class AdapterRunner:
    """Builds and runs the ``[[adapters]]`` of a hub; ``start()`` / ``stop()``."""

    def __init__(
        self,
        hub: AdapterFacade,
        entries: Sequence[AdapterConfig],
        *,
        factory: Callable[[AdapterConfig], Adapter] = build_adapter,
    ) -> None:
        self.hub = hub
        self.entries = tuple(entries)
        self.factory = factory
        self.slots: list[AdapterSlot] = []
        self._stopping = asyncio.Event()

    # -- lifetime ----------------------------------------------------------------------

    def build(self) -> list[AdapterSlot]:
        """Build every adapter (config errors surface here, before anything runs)."""
        if not self.slots:
            self.slots = [AdapterSlot.build(e, self.factory(e)) for e in self.entries]
        return self.slots

    async def start(self) -> None:
        """Build the adapters; start outbound loops (``send``) and inbound ones (``poll``)."""
        self._stopping.clear()
        for slot in self.build():
            capabilities = slot.adapter.capabilities
            if "federate" in capabilities:
                continue  # UpstreamLink runs both directions itself
            if "send" in capabilities:
                slot.tasks.append(asyncio.create_task(self._outbound_loop(slot)))
            if "poll" in capabilities:
                slot.tasks.append(asyncio.create_task(self._inbound_loop(slot)))
            log.info("adapter.started", adapter=slot.label, loops=len(slot.tasks))

    async def stop(self, grace: float = 10.0) -> None:
        """Let the loops finish their current item (up to ``grace`` seconds), then close."""
        self._stopping.set()
        tasks = [t for s in self.slots for t in s.tasks]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for slot in self.slots:
            slot.tasks.clear()
            await slot.adapter.aclose()

    async def __aenter__(self) -> AdapterRunner:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- health ------------------------------------------------------------------------

    async def health(self) -> dict[str, dict[str, Any]]:
        """For ``/readyz``: label → ``{"state": ok|degraded|open, "ok", "breaker", …}``."""
        report: dict[str, dict[str, Any]] = {}
        for slot in self.slots:
            own = await slot.adapter.health()
            breaker = slot.breaker.state
            state = "ok"
            if breaker != CLOSED:
                state = "open"
            elif slot.streak or not own.ok:
                state = "degraded"
            report[slot.label] = {
                "state": state,
                "ok": state == "ok",
                "breaker": breaker,
                "last_error": slot.last_error or (own.detail or None),
                "failed_items": len(slot.failed),
            }
        return report

    # -- one cycle (the loops call these; tests too) -----------------------------------

    async def run_outbound(self, slot: AdapterSlot, *, wait: float | None = None) -> int:
        """Take one batch from the unit's mailbox and deliver it; returns the batch size."""
        entries = await self._unless_stopping(
            self.hub.mailbox(
                slot.principal, wait=slot.wait if wait is None else wait, limit=slot.batch
            )
        )
        for entry in entries:
            await self._deliver(slot, entry)
        return len(entries)

    async def run_inbound(self, slot: AdapterSlot) -> int:
        """Poll the unit's system once and hand each item to the hub."""
        if not slot.breaker.allow():
            raise CircuitOpen(slot.label)
        try:
            items = await slot.adapter.poll()
        except Exception as exc:
            if slot.adapter.is_recoverable(exc):
                slot.breaker.failure()
            raise
        slot.breaker.success()
        if items:  # the unit's system handed something over: it was seen
            self.hub.last_seen(slot.principal.unit)
        for item in items:
            outcome = await submit_inbound(self.hub, slot.principal, item)
            if not outcome.accepted:
                log.warning(
                    "adapter.inbound_refused",
                    adapter=slot.label,
                    key=item.key,
                    code=outcome.code,
                    reason=outcome.message,
                )
            await slot.adapter.settle(item, outcome)
        return len(items)

    async def _deliver(self, slot: AdapterSlot, entry: dict[str, Any]) -> None:
        if entry.get("kind") == "notice":
            # the hub's own notice (an overdue delivery): told by [deadlines] webhook and
            # mail; a unit's system has no form for it, so it is taken off the list
            log.info("adapter.notice_skipped", adapter=slot.label, subject=entry.get("subject"))
            await self.hub.ack_item(slot.principal, str(entry["item_id"]))
            return
        try:
            item = await fetch_outbound(self.hub, slot.principal, entry)
        except GatewayError as exc:
            if isinstance(exc, Recoverable):
                raise
            await self._fail_entry(slot, entry, exc)
            return
        try:
            result = await self._send_with_retry(slot, item)
        except CircuitOpen:
            raise
        except Exception as exc:
            if slot.recoverable(exc):
                raise
            await self._fail_entry(slot, entry, exc)
            return
        await self._report(slot, item, result)
        await self.hub.ack_item(slot.principal, item.item_id)

    async def _send_with_retry(self, slot: AdapterSlot, item: OutboundItem) -> SendResult:
        attempt = 0
        while True:
            if not slot.breaker.allow():
                raise CircuitOpen(slot.label)
            try:
                result = await slot.adapter.send(item)
            except Exception as exc:
                if not slot.adapter.is_recoverable(exc):
                    raise
                slot.breaker.failure()
                slot.last_error = _describe(exc)
                attempt += 1
                if attempt >= slot.backoff.attempts or self._stopping.is_set():
                    raise
                log.info("adapter.retry", adapter=slot.label, key=item.key, error=slot.last_error)
                await self._pause(slot.backoff.delay(attempt - 1))
                continue
            slot.breaker.success()
            return result

    async def _report(self, slot: AdapterSlot, item: OutboundItem, result: SendResult) -> None:
        """A status the unit's system answered with goes back to the sender."""
        if item.kind != "document" or not result.status:
            return
        reason = result.reason
        if not reason and result.status.strip().lower() in ("02", "2", "rejected"):
            reason = _NO_REASON  # the hub wants a reason for a rejection; keep the rejection
        try:
            await self.hub.post_receipt(
                slot.principal, item.message_id, status=result.status, reason=reason
            )
        except Recoverable:
            raise
        except GatewayError as exc:
            # e.g. resent after a crash: the status is already there (illegal transition)
            log.info("adapter.status_not_posted", adapter=slot.label, key=item.key, error=str(exc))

    async def _fail_entry(
        self, slot: AdapterSlot, entry: dict[str, Any], exc: BaseException
    ) -> None:
        """The item will never go through: record it, say so to the sender if allowed, ack."""
        reason = _describe(exc)
        key = f"{entry.get('kind')}:{entry.get('receipt_id') or entry.get('message_id')}"
        slot.failed[key] = reason
        slot.last_error = reason
        log.error("adapter.item_failed", adapter=slot.label, key=key, error=reason)
        if entry.get("kind") == "document":
            with contextlib.suppress(GatewayError):
                await self.hub.report_failure(slot.principal, str(entry["message_id"]), reason)
        await self.hub.ack_item(slot.principal, str(entry["item_id"]))

    # -- loops -------------------------------------------------------------------------

    async def _outbound_loop(self, slot: AdapterSlot) -> None:
        while not self._stopping.is_set():
            await self._cycle(slot, self.run_outbound, idle=0.0)

    async def _inbound_loop(self, slot: AdapterSlot) -> None:
        while not self._stopping.is_set():
            await self._cycle(slot, self.run_inbound, idle=slot.poll_interval)

    async def _cycle(self, slot: AdapterSlot, step: Callable[..., Any], idle: float) -> None:
        """One step; on error back off (or wait for the breaker) instead of spinning."""
        try:
            count = await step(slot)
        except CircuitOpen:
            await self._pause(max(slot.breaker.retry_in(), 0.05))
            return
        except Exception as exc:  # the loop must outlive any single failure
            slot.streak += 1
            slot.last_error = _describe(exc)
            log.warning("adapter.cycle_failed", adapter=slot.label, error=slot.last_error)
            await self._pause(max(slot.backoff.delay(slot.streak - 1), 0.05))
            return
        slot.streak = 0
        if not count:
            await self._pause(max(idle, 0.05))

    async def _unless_stopping(
        self, call: Coroutine[Any, Any, list[dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """A mailbox long-poll that ``stop()`` cuts short (nothing was taken yet: no loss)."""
        task = asyncio.ensure_future(call)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not task.done():
                task.cancel()
        if task.cancelled() or not task.done():
            await asyncio.gather(task, return_exceptions=True)
            return []
        return task.result()

    async def _pause(self, seconds: float) -> None:
        """Sleep, but wake up at once on ``stop()``."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GatewayError):
        return f"{exc.code}: {exc.message}"
    return f"{type(exc).__name__}: {exc}"
