"""edXML drops are exactly once in every crash window; a permanent send failure becomes 91."""

from __future__ import annotations

from pathlib import Path

import pytest
from adapter_world import A, B, send_document, wait_pending

from adapters.folder import FolderAdapter
from adapters.items import submit_inbound
from adapters.memory import MemoryAdapter
from adapters.runner import AdapterRunner
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.hub import Hub
from gateway.store.records import SearchFilters

SAMPLES = Path(__file__).parents[2] / "fixtures/edxml/truclienthong-example/resources"


class Crash(BaseException):
    """Stands for the process dying at a given step."""


def edxml_from_b() -> bytes:
    """A real edXML sample, re-addressed from B to A."""
    text = (SAMPLES / "edoc_new.edxml").read_text(encoding="utf-8")
    # the DocumentId names its issuer, which must be the sender (edxml.bad_document_id)
    text = text.replace("000.00.00.G22,2015/09/30", f"{B},2015/09/30")
    return text.replace("000.00.00.A80", B).replace("28.22.H17", A).encode()


def folder(tmp_path: Path) -> FolderAdapter:
    return FolderAdapter(unit=B, options={"path": str(tmp_path / "drop"), "settle_ms": 0})


def runner_for(hub: Hub, adapter: object, name: str = "folder") -> AdapterRunner:
    entry = AdapterConfig(name, B, {"wait": 0, "retry_base": 0.001, "retry_cap": 0.01})
    runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
    runner.build()
    return runner


@pytest.mark.parametrize("step", ["before_settle", "settle.journaled", "settle.moved"])
async def test_edxml_drop_is_one_message_whatever_the_crash(
    hub: Hub, tmp_path: Path, step: str
) -> None:
    """A crash anywhere after the hub took an .edxml drop: after restart, one message."""
    first = folder(tmp_path)
    first.inbox.mkdir(parents=True)
    (first.inbox / "cv.edxml").write_bytes(edxml_from_b())

    def hook(name: str) -> None:
        if name == step:
            raise Crash(name)

    first.hook = hook
    [item] = await first.poll()
    outcome = await submit_inbound(hub, Principal(unit=B), item)
    assert outcome.accepted and outcome.created
    if step != "before_settle":
        with pytest.raises(Crash):
            await first.settle(item, outcome)
    restarted = folder(tmp_path)
    runner = runner_for(hub, restarted)
    await runner.run_inbound(runner.slots[0])
    await runner.run_inbound(runner.slots[0])
    assert [p.name for p in restarted.processed.iterdir()] == ["cv.edxml"]
    assert list(restarted.inbox.iterdir()) == []
    sent = await hub.messages.search(SearchFilters(sender=B))
    assert [m.id for m in sent.items] == [outcome.ref]
    pending = await wait_pending(hub, A)
    assert [i["message_id"] for i in pending] == [outcome.ref]


async def test_edxml_drop_keeps_the_edxml_only_fields(hub: Hub, tmp_path: Path) -> None:
    """The sealed envelope of an .edxml drop carries the edXML-only fields as extensions."""
    adapter = folder(tmp_path)
    adapter.inbox.mkdir(parents=True)
    (adapter.inbox / "cv.edxml").write_bytes(edxml_from_b())
    [item] = await adapter.poll()
    outcome = await submit_inbound(hub, Principal(unit=B), item)
    assert outcome.ref == item.message_id
    xml = await hub.envelope_xml(Principal(unit=A), str(outcome.ref))
    assert b"Extensions" in xml


async def test_a_permanent_send_failure_is_reported_as_failed(hub: Hub) -> None:
    """The adapter fails for good: the item is acked and the sender gets a 91 from the hub."""
    message_id = await send_document(hub)
    await wait_pending(hub, B)
    adapter = MemoryAdapter(unit=B)
    adapter.fail_next(ValueError("the office system refused it"), 1)
    runner = runner_for(hub, adapter, "memory")
    await runner.run_outbound(runner.slots[0])
    assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []
    status = await hub.status(Principal(unit=A), message_id)
    [delivery] = status["recipients"]
    assert delivery["state"] == "failed"
    assert [r["status"] for r in delivery["receipts"]] == ["91"]
    items = await wait_pending(hub, A)
    assert [i["kind"] for i in items] == ["receipt"]
