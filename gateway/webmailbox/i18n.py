"""Mailbox labels: Vietnamese by default, English on request (``?lang=en`` or the switch).

Delivery state names come from the console (:func:`gateway.console.i18n.state_namer`).
"""

from __future__ import annotations

from collections.abc import Callable

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Lienthong — Hộp thư đơn vị", "Lienthong — Unit mailbox"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "unit_token": ("Mã truy cập của đơn vị", "Unit token"),
    "inbox": ("Văn bản đến", "Inbox"),
    "sent": ("Văn bản đi", "Sent"),
    "compose": ("Soạn văn bản", "New document"),
    "registers": ("Sổ văn bản", "Registers"),
    "register_in": ("Sổ văn bản đến", "Incoming register"),
    "register_out": ("Sổ văn bản đi", "Outgoing register"),
    "year": ("Năm", "Year"),
    "show": ("Xem", "Show"),
    "export_xlsx": ("Xuất Excel (XLSX)", "Export Excel (XLSX)"),
    "skip_to_content": ("Chuyển đến nội dung", "Skip to content"),
    "language": ("English", "Tiếng Việt"),
    "error": ("Lỗi", "Error"),
    "subject": ("Trích yếu", "Subject"),
    "sender": ("Nơi gửi", "Sender"),
    "sent_by": ("Cán bộ gửi", "Sent by"),
    "handled_by": ("cán bộ", "clerk"),
    "opened_by": ("Cán bộ mở lần đầu", "First opened by"),
    "recipients": ("Nơi nhận", "Recipients"),
    "recipient": ("Nơi nhận", "Recipient"),
    "received_at": ("Thời gian đến", "Received"),
    "sent_at": ("Thời gian gửi", "Sent"),
    "number_notation": ("Số/Ký hiệu", "Number/notation"),
    "number": ("Số", "Number"),
    "notation": ("Ký hiệu", "Notation"),
    "doc_type": ("Loại văn bản", "Document type"),
    "issued_on": ("Ngày văn bản", "Issued on"),
    "signer": ("Người ký", "Signer"),
    "urgency": ("Độ khẩn", "Urgency"),
    "confidentiality": ("Độ mật", "Confidentiality"),
    "due_date": ("Hạn xử lý", "Due date"),
    "state": ("Tình trạng", "State"),
    "overdue": ("Quá hạn", "Overdue"),
    "files": ("Tệp đính kèm", "Files"),
    "download": ("Tải về", "Download"),
    "preview": ("Xem trước", "Preview"),
    "answer": ("Trả lời trạng thái", "Answer"),
    "status": ("Trạng thái", "Status"),
    "reason": ("Lý do", "Reason"),
    "reason_hint": ("Bắt buộc khi từ chối tiếp nhận (02)", "Required for a rejection (02)"),
    "send_answer": ("Gửi trạng thái", "Send the answer"),
    "answers": ("Các trạng thái đã trả lời", "Answers given"),
    "timeline": ("Diễn biến", "Timeline"),
    "at": ("Lúc", "At"),
    "by": ("Bởi", "By"),
    "recall": ("Thu hồi (13)", "Recall (13)"),
    "recall_reason": ("Lý do thu hồi", "Why recall"),
    "no_documents": ("Không có văn bản", "No documents"),
    "hub_notices": ("Thông báo của hệ thống", "Notices from the hub"),
    "hub_notices_hint": (
        "Do hệ thống gửi, không phải văn bản: văn bản đơn vị đã gửi đang quá hạn ở nơi nhận",
        "Sent by the hub, not documents: a document your unit sent is overdue at a recipient",
    ),
    "hub_notice": ("Thông báo hệ thống", "Hub notice"),
    "about_document": ("Xem văn bản", "The document"),
    "dismiss_notices": ("Đã xem, ẩn các thông báo", "Seen: dismiss these notices"),
    "search_units": (
        "Tìm đơn vị (có dấu hay không dấu)",
        "Find a unit (with or without diacritics)",
    ),
    "find": ("Tìm", "Find"),
    "show_all": ("Hiện tất cả", "Show all"),
    "units": ("Đơn vị", "Units"),
    "groups": ("Nhóm", "Groups"),
    "attach": ("Tệp đính kèm (có thể chọn nhiều)", "Files (several allowed)"),
    "send": ("Gửi", "Send"),
    "sent_ok": ("Đã gửi văn bản", "The document was sent"),
    "answered_ok": ("Đã gửi trạng thái", "The answer was sent"),
    "recalled_ok": ("Đã gửi yêu cầu thu hồi", "The recall was sent"),
    "revoked_ok": ("Đã gửi văn bản hủy bỏ", "The revocation was sent"),
    "change": ("Hủy bỏ, thay thế hoặc cập nhật", "Revoke, replace or update"),
    "revoke": ("Hủy bỏ văn bản", "Revoke the document"),
    "revoke_reason": ("Lý do hủy bỏ", "Why revoke"),
    "revoke_subject": ("Hủy bỏ văn bản", "Revocation of"),
    "send_replace": ("Gửi văn bản thay thế", "Send a replacement"),
    "send_update": ("Gửi văn bản cập nhật", "Send an update"),
    "kind_replace": ("Thay thế văn bản", "Replaces"),
    "kind_update": ("Cập nhật văn bản", "Updates"),
    "kind_revoke": ("Hủy bỏ văn bản", "Revokes"),
    "refers_to": ("Liên quan đến văn bản", "Refers to"),
    "changed_by": ("Đã được thay đổi bởi", "Changed by"),
    "document_state": ("Hiệu lực", "Standing"),
    "doc_current": ("Còn hiệu lực", "Current"),
    "doc_updated": ("Đã cập nhật", "Updated"),
    "doc_replaced": ("Đã bị thay thế", "Replaced"),
    "doc_revoked": ("Đã bị hủy bỏ", "Revoked"),
    "uploading": ("Đang tải lên", "Uploading"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "login_person": ("Đăng nhập bằng tài khoản cá nhân", "Log in with your own account"),
    "login_token": ("Hoặc bằng mã truy cập của đơn vị", "Or with the unit's token"),
    "order": ("Số đến", "No."),
    "order_out": ("Số thứ tự", "No."),
    "not_found": ("Không tìm thấy", "Not found"),
    "back_inbox": ("Về hộp thư đến", "Back to the inbox"),
    "normal": ("Thường", "Normal"),
    "document_info": ("Thông tin văn bản", "The document"),
    "pdf_signature": ("Chữ ký số trong tệp", "Signature in the file"),
    "envelope_signature": ("Chữ ký gói tin", "Envelope signature"),
    "envelope_verified": (
        "hợp lệ: ký bằng khóa của đơn vị gửi, trục đã kiểm tra khi tiếp nhận",
        "valid: signed with the sending unit's key, checked by the hub on acceptance",
    ),
}

#: The statuses a recipient answers with (edXML codes of QCVN 102:2016).
_ANSWERS: dict[str, tuple[str, str]] = {
    "01": ("01 — Đã đến", "01 — Received"),
    "02": ("02 — Từ chối tiếp nhận", "02 — Rejected"),
    "03": ("03 — Đã tiếp nhận", "03 — Accepted"),
    "04": ("04 — Phân công", "04 — Assigned"),
    "05": ("05 — Đang xử lý", "05 — Processing"),
    "06": ("06 — Hoàn thành", "06 — Completed"),
}

#: Urgency levels offered when sending (độ khẩn), as edXML writes them.
URGENCIES = ("Thường", "Khẩn", "Thượng khẩn", "Hỏa tốc")


def answers(lang: str) -> list[tuple[str, str]]:
    """``(code, label)`` of every answer a recipient may give, in order."""
    index = 1 if lang == "en" else 0
    return [(code, pair[index]) for code, pair in _ANSWERS.items()]


def translator(lang: str) -> Callable[[str], str]:
    """A function from label key to text in ``lang`` (unknown keys come back as is)."""
    index = 1 if lang == "en" else 0
    return lambda key: _LABELS.get(key, (key, key))[index]
