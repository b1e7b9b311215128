"""The folder adapter against a real hub: drops in, files out, exactly once across crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from adapter_world import A, B, send_document, wait_pending

from adapters.folder import FolderAdapter
from adapters.items import submit_inbound
from adapters.runner import AdapterRunner
from gateway.config import AdapterConfig
from gateway.directory.principal import Principal
from gateway.edxml.reader import read_document
from gateway.envelope.seal import seal_envelope
from gateway.hub import Hub, UploadedFile
from gateway.pipeline.document import build_envelope

SAMPLES = Path(__file__).parents[2] / "fixtures/edxml/truclienthong-example/resources"


class Crash(BaseException):
    """Stands for the process dying at a given step (not an error the runner handles)."""


def folder(tmp_path: Path, **options: object) -> FolderAdapter:
    return FolderAdapter(
        unit=B, options={"path": str(tmp_path / "drop"), "settle_ms": 0, **options}
    )


def runner_for(hub: Hub, adapter: FolderAdapter) -> AdapterRunner:
    entry = AdapterConfig("folder", B, {"wait": 0, "retry_base": 0.001, "retry_cap": 0.01})
    runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
    runner.build()
    return runner


def crash_at(adapter: FolderAdapter, wanted: str) -> None:
    def hook(step: str) -> None:
        if step == wanted:
            raise Crash(step)

    adapter.hook = hook


def edxml_from_b() -> bytes:
    """A real edXML sample, re-addressed from B to A."""
    text = (SAMPLES / "edoc_new.edxml").read_text(encoding="utf-8")
    # the DocumentId names its issuer, which must be the sender (edxml.bad_document_id)
    text = text.replace("000.00.00.G22,2015/09/30", f"{B},2015/09/30")
    return text.replace("000.00.00.A80", B).replace("28.22.H17", A).encode()


async def drop_envelope(hub: Hub, inbox: Path, name: str = "cv-1") -> str:
    """Write a signed envelope from B plus its file directory into ``inbox``."""
    data = b"noi dung phu luc"
    ref = await hub.blobs.put_bytes(data)
    env = build_envelope(
        B,
        {"to": [A], "subject": "Gửi qua thư mục"},
        [UploadedFile("phu-luc.txt", "text/plain", ref.sha256, ref.size)],
        is_group=lambda code: False,
    )
    key, cert = await hub.signers.for_document(B)
    (inbox / name).mkdir(parents=True)
    (inbox / name / "phu-luc.txt").write_bytes(data)
    (inbox / f"{name}.xml").write_bytes(seal_envelope(env, key, cert))
    return str(env.message_id)


async def pending_for_a(hub: Hub) -> list[dict[str, object]]:
    return await hub.mailbox(Principal(unit=A), wait=0.3, limit=100)


async def test_edxml_drop_is_submitted_and_moved(hub: Hub, tmp_path: Path) -> None:
    """An .edxml dropped in in/ becomes a message to A and moves to processed/."""
    adapter = folder(tmp_path)
    adapter.inbox.mkdir(parents=True)
    (adapter.inbox / "cv-74.edxml").write_bytes(edxml_from_b())
    runner = runner_for(hub, adapter)
    assert await runner.run_inbound(runner.slots[0]) == 1
    assert (adapter.processed / "cv-74.edxml").exists()
    assert not (adapter.inbox / "cv-74.edxml").exists()
    items = await wait_pending(hub, A)
    assert items[0]["subject"] == "V/v kết nối, liên thông phần mềm quản lý văn bản"


async def test_signed_envelope_with_files_is_submitted(hub: Hub, tmp_path: Path) -> None:
    """NAME.xml with its files in NAME/ is submitted as is; both move to processed/."""
    adapter = folder(tmp_path)
    message_id = await drop_envelope(hub, adapter.inbox)
    runner = runner_for(hub, adapter)
    await runner.run_inbound(runner.slots[0])
    assert (adapter.processed / "cv-1.xml").exists()
    assert (adapter.processed / "cv-1" / "phu-luc.txt").exists()
    assert [i["message_id"] for i in await wait_pending(hub, A)] == [message_id]


async def test_refused_drop_goes_to_failed_with_reason(hub: Hub, tmp_path: Path) -> None:
    """A status about an unknown message is moved to failed/ with code and message."""
    adapter = folder(tmp_path)
    adapter.inbox.mkdir(parents=True)
    body = {"message_id": "6f0c1a52-0000-4000-8000-000000000000", "status": "03"}
    (adapter.inbox / "st.json").write_text(json.dumps(body))
    runner = runner_for(hub, adapter)
    await runner.run_inbound(runner.slots[0])
    assert (adapter.failed / "st.json").exists()
    assert (adapter.failed / "st.json.reason.txt").read_text().startswith("message.not_found: ")


async def test_malformed_edxml_fails_without_reaching_the_hub(hub: Hub, tmp_path: Path) -> None:
    """Broken edXML is refused at reading time with its edxml.* code."""
    adapter = folder(tmp_path)
    adapter.inbox.mkdir(parents=True)
    (adapter.inbox / "bad.edxml").write_bytes(b"<edXML><From>")
    assert await adapter.poll() == []
    assert (adapter.failed / "bad.edxml.reason.txt").read_text().startswith("edxml.malformed")


async def test_edxml_from_another_unit_is_refused(hub: Hub, tmp_path: Path) -> None:
    """An .edxml whose From is not the folder's unit is refused (sender mismatch)."""
    adapter = folder(tmp_path)
    adapter.inbox.mkdir(parents=True)
    (adapter.inbox / "x.edxml").write_bytes((SAMPLES / "edoc_new.edxml").read_bytes())
    assert await adapter.poll() == []
    reason = (adapter.failed / "x.edxml.reason.txt").read_text()
    assert reason.startswith("envelope.sender_mismatch")


async def test_incomplete_files_are_left_alone(tmp_path: Path) -> None:
    """Temp names, dot files, unknown suffixes and too-young files are not taken."""
    young = folder(tmp_path, settle_ms=60_000)
    young.inbox.mkdir(parents=True)
    (young.inbox / "a.edxml.tmp").write_bytes(b"x")
    (young.inbox / ".b.edxml").write_bytes(b"x")
    (young.inbox / "c.edxml").write_bytes(edxml_from_b())
    assert await young.poll() == []
    assert sorted(p.name for p in young.inbox.iterdir()) == [".b.edxml", "a.edxml.tmp", "c.edxml"]
    assert len(await folder(tmp_path).poll()) == 1


@pytest.mark.parametrize("step", ["before_settle", "settle.journaled", "settle.moved"])
async def test_inbound_crash_is_exactly_once(hub: Hub, tmp_path: Path, step: str) -> None:
    """A crash at any step after the hub took a file: after restart, one message, moved."""
    first = folder(tmp_path)
    message_id = await drop_envelope(hub, first.inbox)
    crash_at(first, step)
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
    assert sorted(p.name for p in restarted.processed.iterdir()) == ["cv-1", "cv-1.xml"]
    assert list(restarted.inbox.iterdir()) == []
    assert list((restarted.root / ".state").iterdir()) == []
    assert [i["message_id"] for i in await wait_pending(hub, A)] == [message_id]


async def test_edxml_crash_after_journal_submits_once(hub: Hub, tmp_path: Path) -> None:
    """edXML: a crash after the journal write never submits the file again."""
    first = folder(tmp_path)
    first.inbox.mkdir(parents=True)
    (first.inbox / "cv.edxml").write_bytes(edxml_from_b())
    crash_at(first, "settle.journaled")
    runner = runner_for(hub, first)
    with pytest.raises(Crash):
        await runner.run_inbound(runner.slots[0])
    assert (first.inbox / "cv.edxml").exists()
    restarted = folder(tmp_path)
    assert await restarted.poll() == []
    assert (restarted.processed / "cv.edxml").exists()
    assert len(await wait_pending(hub, A)) == 1
    assert len(await pending_for_a(hub)) == 1


async def test_outbound_document_written_with_files(hub: Hub, tmp_path: Path) -> None:
    """A document for B appears as <id>.xml with its file in <id>/; then acked."""
    message_id = await send_document(hub, data=b"%PDF bytes")
    await wait_pending(hub, B)
    adapter = folder(tmp_path)
    runner = runner_for(hub, adapter)
    await runner.run_outbound(runner.slots[0])
    assert (adapter.outbox / f"{message_id}.xml").read_bytes().startswith(b"<")
    assert (adapter.outbox / message_id / "báo cáo.pdf").read_bytes() == b"%PDF bytes"
    assert [p.name for p in adapter.outbox.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("step", ["send.files", "send.written", "before_ack"])
async def test_outbound_crash_writes_once(hub: Hub, tmp_path: Path, step: str) -> None:
    """A crash while writing or before the ack: after restart, exactly one document out."""
    message_id = await send_document(hub)
    await wait_pending(hub, B)
    first = folder(tmp_path)
    if step == "before_ack":
        runner = runner_for(hub, first)
        item = (await hub.mailbox(Principal(unit=B), wait=0, limit=1))[0]
        from adapters.items import fetch_outbound

        await first.send(await fetch_outbound(hub, Principal(unit=B), item))
        (first.outbox / f"{message_id}.xml").unlink()  # the legacy system already took it
    else:
        crash_at(first, step)
        runner = runner_for(hub, first)
        with pytest.raises(Crash):
            await runner.run_outbound(runner.slots[0])
    restarted = folder(tmp_path)
    runner = runner_for(hub, restarted)
    await runner.run_outbound(runner.slots[0])
    xmls = list(restarted.outbox.glob("*.xml"))
    assert len(xmls) == (0 if step == "before_ack" else 1)
    assert await hub.mailbox(Principal(unit=B), wait=0, limit=10) == []


async def test_outbound_receipt_and_edxml_format(hub: Hub, tmp_path: Path) -> None:
    """A's folder (edxml format) gets the document as edXML; B's status comes back as JSON."""
    message_id = await send_document(hub, sender=B, to=A)
    await wait_pending(hub, A)
    adapter = FolderAdapter(
        unit=A, options={"path": str(tmp_path / "a"), "settle_ms": 0, "format": "edxml"}
    )
    entry = AdapterConfig("folder", A, {"wait": 0})
    runner = AdapterRunner(hub, [entry], factory=lambda _: adapter)
    runner.build()
    await runner.run_outbound(runner.slots[0])
    doc = read_document((adapter.outbox / f"{message_id}.edxml").read_bytes())
    assert doc.subject == "Công văn thử"
    assert doc.attachments[0].data == b"%PDF-1.4 test"
    await hub.post_receipt(Principal(unit=A), message_id, status="03")
    b_adapter = folder(tmp_path)
    b_runner = runner_for(hub, b_adapter)
    await wait_pending(hub, B)
    await b_runner.run_outbound(b_runner.slots[0])
    [receipt] = list(b_adapter.outbox.glob("*.receipt.json"))
    body = json.loads(receipt.read_text())
    assert (body["message_id"], body["status"], body["recipient"]) == (message_id, "03", A)
