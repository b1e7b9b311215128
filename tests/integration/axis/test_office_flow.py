"""Office systems talking to the hub's axis API over real HTTP, as they would to an axis."""

from __future__ import annotations

import asyncio
import io
import zipfile

from tests.standins.office import OfficeError, OfficeFile, Received
from tests.support.axis_world import A, AxisWorld, B, C


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("cong-van-12.doc", "Nội dung công văn số 12/VP\n" * 200)
    return buf.getvalue()


def _statuses(items: list[Received], sender: str, document_id: str) -> list[str]:
    return [
        i.status_code or ""
        for i in items
        if i.messagetype == "status" and i.sender == sender and i.document_id == document_id
    ]


def _has_status(sender: str, document_id: str, code: str):  # type: ignore[no-untyped-def]
    return lambda inbox: code in _statuses(inbox, sender, document_id)


async def test_document_with_zip_goes_to_two_offices_and_every_status_comes_back(
    axis_world: AxisWorld,
) -> None:
    """A's document reaches B and C byte-exact; B's 01…06 and C's 02 reach A in order."""
    office_a, office_b, office_c = (axis_world.offices[u] for u in (A, B, C))
    attachment = OfficeFile("cong-van-12.zip", "application/zip", _zip())
    doc_id, answer = await office_a.send_document([B, C], "Kế hoạch chuyển đổi số", [attachment])
    assert answer["status"] == "OK" and answer["created"] is True

    for office in (office_b, office_c):
        got = await office.receive_until(lambda inbox: any(i.messagetype == "edoc" for i in inbox))
        document = next(i for i in got if i.messagetype == "edoc")
        assert document.document_id == doc_id and document.sender == A
        assert document.subject == "Kế hoạch chuyển đổi số"
        assert [(f.name, f.data) for f in document.files] == [(attachment.name, attachment.data)]

    # "done" already said 01 for B; B's own 01 is the same fact, not a second receipt
    first = await office_b.send_status(doc_id, "01", about=A)
    assert first["created"] is False
    for code in ("03", "04", "05", "06"):
        assert (await office_b.send_status(doc_id, code, about=A))["created"] is True
    await office_c.send_status(doc_id, "02", about=A, description="Sai nơi nhận")

    # the hub relays receipts concurrently; the axis lists them in the order stated
    for _ in range(100):
        if len(await office_a.pending("status")) >= 7:
            break
        await asyncio.sleep(0.1)
    await office_a.receive_once()
    assert _statuses(office_a.inbox, B, doc_id) == ["01", "03", "04", "05", "06"]
    assert _statuses(office_a.inbox, C, doc_id) == ["01", "02"]
    rejection = next(i for i in office_a.inbox if i.status_code == "02")
    assert rejection.description == "Sai nơi nhận"
    assert await office_a.pending() == []


async def test_take_back_request_is_answered_and_refused_after_completion(
    axis_world: AxisWorld,
) -> None:
    """13 on a completed document is refused; on one in progress B answers 15 and A sees it."""
    office_a, office_b = axis_world.offices[A], axis_world.offices[B]
    done_id, _ = await office_a.send_document([B], "Văn bản đã xong", [], number="20")
    await office_b.receive_until(lambda inbox: any(i.document_id == done_id for i in inbox))
    for code in ("03", "06"):
        await office_b.send_status(done_id, code, about=A)
    try:
        await office_a.send_status(done_id, "13", about=B, description="Thu hồi")
    except OfficeError as exc:
        assert exc.status == 409 and exc.code == "receipt.illegal_transition"
    else:
        raise AssertionError("a take-back request after completion was accepted")

    doc_id, _ = await office_a.send_document([B], "Văn bản cần thu hồi", [], number="21")
    await office_b.receive_until(lambda inbox: any(i.document_id == doc_id for i in inbox))
    await office_b.send_status(doc_id, "03", about=A)
    await office_a.send_status(doc_id, "13", about=B, description="Ban hành nhầm")
    await office_b.receive_until(_has_status(A, doc_id, "13"))
    request = next(i for i in office_b.inbox if i.status_code == "13")
    assert request.description == "Ban hành nhầm"
    await office_b.send_status(doc_id, "15", about=A, description="Đồng ý thu hồi")
    await office_a.receive_until(_has_status(B, doc_id, "15"))
    assert _statuses(office_a.inbox, B, doc_id) == ["01", "03", "15"]
