"""Update and its answer through the VXP SDK (stand-in) on /vxp, on both backends; an
update of a document the sender never sent is refused (issue 25)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.standins.office import OfficeFile, document_edxml, status_edxml
from tests.support.axis_world import A, AxisWorld, B
from tests.support.vxp_office import eventually, receive_all, sdks

__all__ = ["sdks"]  # the fixture (tests/support/vxp_office.py)

_VN = timezone(timedelta(hours=7))


def _headers(**values: Any) -> str:
    return json.dumps(values)


def _edoc(path: Path, document_id: str, doc_type: str, subject: str, at: datetime) -> Path:
    files = [OfficeFile("cong-van.pdf", "application/pdf", b"%PDF-1.4 " + subject.encode())]
    path.write_bytes(
        document_edxml(
            sender=A, sender_name="Huyện 1", to=[B], document_id=document_id, subject=subject,
            number="40", notation="VP", files=files, at=at, doc_type=doc_type,
        )
    )  # fmt: skip
    return path


async def test_update_is_received_linked_and_answered_with_15(
    axis_world: AxisWorld, sdks: dict[str, Any], tmp_path: Path
) -> None:
    """B gets A's document, then its update (type 2, same DocumentId); B's 15 reaches A;
    the original reads updated in the hub's status."""
    a, b = sdks[A], sdks[B]
    now = datetime.now(UTC).astimezone(_VN)
    document_id = f"{A},{now:%Y/%m/%d},40/VP-vxp"
    send = _headers(**{"from": A, "servicetype": "eDoc", "messagetype": "edoc", "to": [B]})
    first = await a.send_edoc(send, _edoc(tmp_path / "new.edxml", document_id, "0", "Gốc", now))
    assert first.ok, first.answer
    [original] = await receive_all(b, "edoc", 1)
    later = now + timedelta(seconds=1)
    updated = _edoc(tmp_path / "upd.edxml", document_id, "2", "Cập nhật", later)
    second = await a.send_edoc(send, updated)
    assert second.ok and second.data != first.data, second.answer
    [update] = await receive_all(b, "edoc", 1)
    assert update.document_id == original.document_id == document_id
    assert b"<edXML:BussinessDocType>2" in update.raw
    answer = tmp_path / "s15.edxml"
    answer.write_bytes(
        status_edxml(
            sender=B, sender_name="Huyện 2", document_id=document_id, response_organ=A,
            code="15", description="Đồng ý cập nhật", at=later,
        )
    )  # fmt: skip
    reply = await b.send_edoc(_headers(**{"from": B, "messagetype": "status"}), answer)
    assert reply.ok, reply.answer
    await eventually(
        lambda: a.count_receive_status(_headers(messagetype="status")),
        lambda r: r.ok and r.data >= 3,
    )
    statuses = await receive_all(a, "status", 3)
    assert "15" in {s.status_code for s in statuses}
    status = await axis_world.hub.messages.status(first.data)
    assert status.to_json()["document_state"] == "updated"


async def test_update_of_an_unknown_document_is_refused(
    axis_world: AxisWorld, sdks: dict[str, Any], tmp_path: Path
) -> None:
    """A type 2 edoc naming a DocumentId A never sent: FAIL, request.bad_reference."""
    now = datetime.now(UTC).astimezone(_VN)
    edoc = _edoc(tmp_path / "u.edxml", f"{A},2026/01/05,99/zz", "2", "Cập nhật", now)
    send = _headers(**{"from": A, "servicetype": "eDoc", "messagetype": "edoc", "to": [B]})
    result = await sdks[A].send_edoc(send, edoc)
    assert result.status == "FAIL" and result.error_desc.startswith("request.bad_reference: ")
