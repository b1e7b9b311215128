"""Office systems embedding the VXP SDK (stand-in) use the hub's /vxp, changing only
endpoint, systemid and secret: the full cycle, on the embedded default and on PG + RabbitMQ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from tests.standins.office import OfficeFile, document_edxml, status_edxml
from tests.standins.vxp_sdk import AgencyService, KnobstickService
from tests.support.axis_world import PROV, A, AxisWorld, B, C
from tests.support.vxp_office import eventually, receive_all, sdks, vxp_headers

__all__ = ["sdks"]  # the fixture (tests/support/vxp_office.py)

_VN = timezone(timedelta(hours=7))


async def test_sdk_cycle_send_list_get_update_status_reply_and_sent_list(
    axis_world: AxisWorld, sdks: dict[str, KnobstickService], tmp_path: Path
) -> None:
    """A sends to B and C; B and C take it; B answers 03; A reads every status and the
    per-recipient sent list; counts and the directory answer as the SDK parses them."""
    a, b, c = sdks[A], sdks[B], sdks[C]
    now = datetime.now(UTC).astimezone(_VN)
    document_id = f"{A},{now:%Y/%m/%d},12/VP-vxp"
    files = [OfficeFile("cong-van.pdf", "application/pdf", b"%PDF-1.4 noi dung" * 50)]
    edoc = tmp_path / "edoc.edxml"
    edoc.write_bytes(
        document_edxml(
            sender=A,
            sender_name="Huyện 1",
            to=[B, C],
            document_id=document_id,
            subject="Kế hoạch chuyển đổi số",
            number="12",
            notation="VP",
            files=files,
            at=now,
        )
    )
    sent = await a.send_edoc(
        vxp_headers(**{"from": A, "servicetype": "eDoc", "messagetype": "edoc", "to": [B, C]}), edoc
    )
    assert (sent.http_status, sent.status, sent.error_code) == (200, "OK", "0"), sent.answer
    message_id = sent.data
    # sending the same file again stores nothing new: the same DocId
    again = await a.send_edoc(vxp_headers(**{"from": A, "messagetype": "edoc"}), edoc)
    assert again.ok and again.data == message_id

    for sdk in (b, c):
        [doc] = await receive_all(sdk, "edoc", 1)
        assert (doc.document_id, doc.sender, doc.subject) == (
            document_id,
            A,
            "Kế hoạch chuyển đổi số",
        )
        assert [(f.name, f.data) for f in doc.files] == [(files[0].name, files[0].data)]
        count = await sdk.count_receive_edoc("{}")
        assert count.ok and count.data == 0

    # B registers it: a 03 status, sent as sendEdoc with messagetype status
    status_file = tmp_path / "status.edxml"
    status_file.write_bytes(
        status_edxml(
            sender=B,
            sender_name="Huyện 2",
            document_id=document_id,
            response_organ=A,
            code="03",
            description="Đã vào sổ",
            at=now,
        )
    )
    reply = await b.send_edoc(vxp_headers(**{"from": B, "messagetype": "status"}), status_file)
    assert reply.ok and reply.data, reply.answer

    # A: the 01 that B's and C's "done" said, and B's 03
    counted = await eventually(
        lambda: a.count_receive_status(vxp_headers(messagetype="status")),
        lambda r: r.ok and r.data >= 3,
    )
    assert counted.data == 3
    statuses = await receive_all(a, "status", 3)
    seen = sorted((s.sender, s.status_code, s.document_id) for s in statuses)
    assert seen == [(B, "01", document_id), (B, "03", document_id), (C, "01", document_id)]
    assert next(s for s in statuses if s.status_code == "03").description == "Đã vào sổ"
    assert (await a.count_receive_status("{}")).data == 0

    rows = await a.get_sent_edoc_list(vxp_headers(servicetype="eDoc", docId=message_id))
    assert rows.ok, rows.answer
    by_unit = {r["toCode"]: r for r in rows.data}
    assert set(by_unit) == {B, C}
    assert (by_unit[B]["receiveStatus"], by_unit[C]["receiveStatus"]) == ("03", "01")
    assert all(r["fromCode"] == A and r["senderDocId"] == message_id for r in rows.data)
    assert all(r["sendStatus"] == "done" and r["receivedTime"] for r in rows.data)
    assert (by_unit[B]["title"], by_unit[B]["notation"]) == ("Kế hoạch chuyển đổi số", "12/VP")

    agencies = AgencyService(f"{axis_world.url}/vxp", "office-a", axis_world.secrets[A])
    try:
        listed = await agencies.get_agencies_list("{}")
        assert listed.ok and {PROV, A, B, C} <= {x["code"] for x in listed.data}
        assert next(x for x in listed.data if x["code"] == B)["pid"] == PROV
    finally:
        await agencies.close()


async def test_stale_headers_ride_along_and_fail_keeps_the_item_pending(
    axis_world: AxisWorld, sdks: dict[str, KnobstickService], tmp_path: Path
) -> None:
    """updateStatus fail leaves the item listed; keys of earlier calls (docId, filePath,
    status) stay in the SDK's map and the hub still answers each later call correctly."""
    a, b = sdks[A], sdks[B]
    now = datetime.now(UTC).astimezone(_VN)
    edoc = tmp_path / "edoc.edxml"
    edoc.write_bytes(
        document_edxml(
            sender=A,
            sender_name="Huyện 1",
            to=[B],
            document_id=f"{A},x,13/VP",
            subject="Giấy mời",
            number="13",
            notation="VP",
            files=[],
            at=now,
        )
    )
    sent = await a.send_edoc(vxp_headers(**{"from": A, "messagetype": "edoc", "to": [B]}), edoc)
    assert sent.ok, sent.answer
    listing = await eventually(
        lambda: b.get_received_edoc_list(vxp_headers(messagetype="edoc")),
        lambda r: r.ok and len(r.data) == 1,
    )
    doc_id = listing.data[0]["docId"]
    assert listing.data[0]["from"] == A and listing.data[0]["to"] == B
    failed = await b.update_status(vxp_headers(status="fail", docId=doc_id))
    assert failed.ok
    processing = await b.update_status(vxp_headers(status="processing", docId=doc_id))
    assert processing.ok
    assert "XroadVnpt-status" in b.last_request_headers  # the map keeps every key
    again = await b.get_received_edoc_list("{}")  # stale messagetype, docId and status
    assert [r["docId"] for r in again.data] == [doc_id]
    downloaded = await b.download_edoc(vxp_headers(docId=doc_id, filePath="xml"))
    assert downloaded[0] == 200 and "Giấy mời".encode() in downloaded[1]
    assert (await b.update_status(vxp_headers(status="done", docId=doc_id))).ok
    assert (await b.count_receive_edoc(vxp_headers(messagetype="edoc"))).data == 0
    # without a docId, getSentEdocList lists the latest documents A sent
    rows = await a.get_sent_edoc_list("{}")
    assert rows.ok and {r["senderDocId"] for r in rows.data} == {sent.data}
