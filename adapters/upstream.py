"""upstream: federation — the hub as a client of another axis (a peer hub or a national axis).

Units served elsewhere are registered in the local directory below one *remote root*
(the adapter's ``unit``): e.g. the peer province's code, with the peer's units as its
descendants. Documents and statuses for them are accepted and queued like any others;
this adapter carries them upstream as edXML, and brings back what the upstream axis
holds for this hub's units.

Features:
    - ``send(item)``: one mailbox item of a remote unit → upstream. A document goes as
      an edXML document (attachments base64 from the blob store), a receipt as an edXML
      status. Idempotent: the upstream maps the same edXML to the same message/receipt id.
    - :class:`UpstreamLink` (``federate`` capability) runs both directions for every unit
      below the remote root: drains their mailboxes through ``send`` (ack only after the
      upstream's 2xx), and pulls the upstream's pending list, delivering each document or
      status locally through the hub facade (the edXML ``From`` must be a remote unit),
      then confirms ``done`` upstream. Local refusals are confirmed ``fail`` upstream
      (they stay there for an operator) and logged.
    - A busy upstream (503/429 with ``Retry-After``, e.g. a hub's ``hub.overloaded``) is
      waited out within the call, at most ``retry_after_retries`` times and
      ``retry_after_max`` seconds a wait (with jitter); then, like network errors,
      timeouts and other 429/5xx, it is ``adapter.unavailable`` (retried by the runner).

Config keys (``options``): ``url`` (the upstream's base URL, required), ``system_id``
(this hub's system id there, required), ``secret_env`` or ``secret_file`` (required),
``timeout`` (seconds, 30), ``interval`` (seconds between idle cycles, 2), ``push`` and
``pull`` (both true), ``retry_after_retries`` (3) and ``retry_after_max`` (seconds, 30),
``protocol`` (``axis``, the default: the ``/axis/v1`` API; ``vxp``:
the VXP SDK's protocol, ``url`` being the SDK's endpoint, e.g. the national axis, a
provincial LGSP or another hub's ``/vxp``; ``docs/vxp.md``). Two hubs that are each
other's upstream set ``pull = false`` on both links: each pushes what is queued for the
other. Against an axis that does not push (a national axis), keep both: it is pushed to
and pulled from. Never let one mailbox be both pushed by one side and pulled by the other
(the order of statuses would be lost).

Example::

    [[adapters]]
    name = "upstream"
    unit = "000.00.00.H02"          # remote root: the peer's units are below it
    options = { url = "https://hub-h02.example", system_id = "hub-h01",
                secret_env = "LIENTHONG_UPSTREAM_SECRET" }

The peer registers this hub as an axis system with ``peer = true`` on its own copy of
this hub's root (``adapters.axis``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import structlog

from adapters.axis.client import AxisClient
from adapters.axis.inbound import submit_edxml
from adapters.axis.systems import load_secret
from adapters.axis.vxp_client import VxpClient
from adapters.base import Adapter, AdapterHealth, OutboundItem, SendResult
from adapters.items import fetch_outbound
from adapters.resilience import retry_after_from_options
from gateway.directory.principal import Principal
from gateway.edxml import EdxmlStatus, envelope_to_edxml, write_document, write_status
from gateway.edxml.model import Organization, ResponseFor
from gateway.envelope import codec
from gateway.envelope.model import Attachment, Status
from gateway.errors import AdapterUnavailable, ConfigError, GatewayError, Recoverable
from gateway.facade import AdapterFacade
from gateway.xmlsafe import parse_xml

__all__ = ["UpstreamAdapter", "UpstreamLink"]

log = structlog.get_logger("adapters.upstream")

_MAX_XML = 64 * 1024 * 1024


class UpstreamAdapter(Adapter):
    """Carries the items of remote units to an upstream axis (see the module docstring)."""

    name: ClassVar[str] = "upstream"
    capabilities: ClassVar[frozenset[str]] = frozenset({"send", "federate"})
    recoverable_errors: ClassVar[tuple[type[BaseException], ...]] = (AdapterUnavailable,)

    def __init__(self, *, unit: str, options: Mapping[str, Any] | None = None) -> None:
        super().__init__(unit=unit, options=options)
        url, system_id = self.options.get("url"), self.options.get("system_id")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError("upstream: options.url must be an http(s) URL")
        if not isinstance(system_id, str) or not system_id:
            raise ConfigError("upstream: options.system_id is required")
        self.interval = float(self.options.get("interval", 2.0))
        self.push = bool(self.options.get("push", True))
        self.pull = bool(self.options.get("pull", True))
        protocol = self.options.get("protocol", "axis")
        if protocol not in ("axis", "vxp"):
            raise ConfigError("upstream: options.protocol must be axis or vxp")
        client = VxpClient if protocol == "vxp" else AxisClient
        self.client: AxisClient | VxpClient = client(
            url,
            system_id,
            load_secret(self.options),
            timeout=float(self.options.get("timeout", 30.0)),
            retry=retry_after_from_options(self.options),
        )

    async def send(self, item: OutboundItem) -> SendResult:
        """One document or receipt of a remote unit, upstream as edXML."""
        if item.kind == "document":
            await self.client.send(await asyncio.to_thread(_document_edxml, item), "edoc")
        else:
            await self.client.send(_status_edxml(item), "status")
        return SendResult()

    async def health(self) -> AdapterHealth:
        """Open and configured (reachability shows in the link's errors)."""
        return AdapterHealth(ok=not self.closed, detail=self.client.base_url)

    async def aclose(self) -> None:
        """Close the HTTP session."""
        await self.client.aclose()
        await super().aclose()


def _document_edxml(item: OutboundItem) -> bytes:
    """The envelope of ``item`` as an edXML document, its files read from the blob store."""
    env = codec.envelope_from_element(parse_xml(item.body, max_bytes=_MAX_XML, max_depth=64))
    paths = {f.sha256: f.path for f in item.attachments}

    def load(att: Attachment) -> bytes:
        return Path(paths[att.sha256]).read_bytes()

    return write_document(envelope_to_edxml(env, load))


def _status_edxml(item: OutboundItem) -> bytes:
    """The receipt JSON of ``item`` as an edXML status (the ids survive the trip)."""
    r = json.loads(item.body)
    status = Status.parse(str(r["status"]))
    other = r.get("recipient") if status is Status.RECALL_REQUESTED else None
    at = datetime.fromisoformat(str(r["at"]).replace("Z", "+00:00"))
    return write_status(
        EdxmlStatus(
            sender=Organization(organ_id=str(r["by"])),
            status_code=status.code,
            response_for=ResponseFor(organ_id=other, document_id=str(r["message_id"])),
            description=r.get("reason"),
            timestamp=at if at.tzinfo else at.replace(tzinfo=UTC),
        )
    )


class UpstreamLink:
    """Runs an :class:`UpstreamAdapter` against a hub: out for remote units, in from upstream."""

    def __init__(self, hub: AdapterFacade, adapter: UpstreamAdapter) -> None:
        self.hub = hub
        self.adapter = adapter
        self.errors: list[str] = []
        self._refused: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    async def remote_units(self) -> list[str]:
        """The remote root and every unit below it in the local directory."""
        below = await self.hub.units_below(self.adapter.unit)
        return [self.adapter.unit, *(u.code for u in below)]

    async def push(self) -> int:
        """Send every pending item of the remote units upstream; how many went."""
        sent = 0
        for unit in await self.remote_units():
            p = Principal(unit=unit)
            for entry in await self.hub.mailbox(p, wait=0.0, limit=100):
                item = await fetch_outbound(self.hub, p, entry)
                await self.adapter.send(item)
                await self.hub.ack_item(p, str(entry["item_id"]))
                sent += 1
        return sent

    async def pull(self) -> int:
        """Deliver locally what the upstream holds for this hub; how many were taken."""
        units = await self.remote_units()
        taken = 0
        for entry in await self.adapter.client.pending(limit=100):
            doc_id = str(entry["docId"])
            if doc_id in self._refused:
                continue
            _, body = await self.adapter.client.get(doc_id)
            try:
                await submit_edxml(self.hub, body, units)
            except Recoverable:
                raise
            except GatewayError as exc:
                self._refused.add(doc_id)
                log.warning("upstream.refused", doc_id=doc_id, code=exc.code, error=exc.message)
                await self.adapter.client.confirm(doc_id, "fail", f"{exc.code}: {exc.message}")
                continue
            await self.adapter.client.confirm(doc_id, "done")
            taken += 1
        return taken

    async def sync_once(self) -> int:
        """One cycle in the configured directions; how many items moved."""
        pushed = await self.push() if self.adapter.push else 0
        return pushed + (await self.pull() if self.adapter.pull else 0)

    async def run(self) -> None:
        """Cycle until cancelled; errors are logged and retried after ``interval``."""
        while True:
            try:
                moved = await self.sync_once()
            except (GatewayError, OSError) as exc:
                self.errors = [*self.errors[-9:], f"{type(exc).__name__}: {exc}"]
                log.warning("upstream.cycle_failed", error=str(exc))
                moved = 0
            if not moved:
                await asyncio.sleep(self.adapter.interval)

    def start(self) -> None:
        """Run :meth:`run` in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self.run())

    async def stop(self) -> None:
        """Stop the background loop and close the adapter."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.adapter.aclose()
