"""Console labels: Vietnamese by default, English on request (``?lang=en`` or the switch)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.errors import ERROR_CODES

LANGUAGES = ("vi", "en")

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("Lienthong — Bảng điều khiển", "Lienthong — Console"),
    "overview": ("Tổng quan", "Overview"),
    "messages": ("Văn bản", "Documents"),
    "units": ("Đơn vị", "Units"),
    "dead_letters": ("Thư lỗi", "Dead letters"),
    "logout": ("Đăng xuất", "Log out"),
    "login": ("Đăng nhập", "Log in"),
    "operator_token": ("Mã truy cập của người vận hành", "Operator token"),
    "today": ("Văn bản hôm nay", "Documents today"),
    "in_flight": ("Đang xử lý", "In flight"),
    "overdue": ("Quá hạn", "Overdue"),
    "failed": ("Thất bại", "Failed"),
    "dead_lettered": ("Thư lỗi", "Dead-lettered"),
    "search": ("Tìm kiếm", "Search"),
    "unit": ("Đơn vị", "Unit"),
    "status": ("Trạng thái", "Status"),
    "since": ("Từ ngày", "From"),
    "until": ("Đến ngày", "To"),
    "subject": ("Trích yếu", "Subject"),
    "sender": ("Nơi gửi", "Sender"),
    "recipient": ("Nơi nhận", "Recipient"),
    "recipients": ("Nơi nhận", "Recipients"),
    "created": ("Thời gian gửi", "Sent"),
    "due_date": ("Hạn xử lý", "Due date"),
    "state": ("Tình trạng", "State"),
    "urgency": ("Độ khẩn", "Urgency"),
    "urgency_0": ("Thường", "Normal"),
    "urgency_1": ("Khẩn", "Urgent"),
    "urgency_2": ("Thượng khẩn", "Very urgent"),
    "urgency_3": ("Hỏa tốc", "Flash"),
    "urgency_4": ("Hỏa tốc hẹn giờ", "Timed flash"),
    "refers_to": ("Thay đổi văn bản", "Changes document"),
    "changed_by": ("Bị thay đổi bởi", "Changed by"),
    "doc_revoked": ("Đã thu hồi", "Revoked"),
    "doc_replaced": ("Đã thay thế", "Replaced"),
    "doc_updated": ("Đã cập nhật", "Updated"),
    "due_received": ("Hạn nhận", "Due received"),
    "due_completed": ("Hạn hoàn thành", "Due completed"),
    "overdue_received": ("Quá hạn nhận", "Overdue: not received"),
    "overdue_completed": ("Quá hạn xử lý", "Overdue: not completed"),
    "late_received": ("nhận muộn", "received late"),
    "late_completed": ("hoàn thành muộn", "completed late"),
    "receipts": ("Biên nhận", "Receipts"),
    "by": ("Bởi", "By"),
    "at": ("Lúc", "At"),
    "reason": ("Lý do", "Reason"),
    "timeline": ("Diễn biến", "Timeline"),
    "audit_trail": ("Nhật ký kiểm toán", "Audit trail"),
    "pdf_signatures": ("Chữ ký số trên tệp PDF", "PDF signatures"),
    "pdf_flagged": ("Chưa phải bản gốc hợp lệ", "Not a valid original"),
    "pdf_verdict": ("Kết quả kiểm tra", "Verdict"),
    "file": ("Tệp", "File"),
    "signatures": ("Chữ ký", "Signatures"),
    "revocation": ("Thu hồi", "Revocation"),
    "pdf_status_valid": ("bản gốc hợp lệ", "a valid original"),
    "pdf_status_incomplete": ("thiếu chữ ký cá nhân hoặc tổ chức", "a signature is missing"),
    "pdf_status_unsigned": ("không có chữ ký số", "not signed"),
    "pdf_status_invalid": ("chữ ký không hợp lệ", "a signature is not valid"),
    "pdf_status_unreadable": ("không đọc được tệp PDF", "the PDF cannot be read"),
    "pdf_status_unchecked": (
        "chưa kiểm tra được: tốn quá nhiều thời gian xử lý",
        "not checked: the check needed too much CPU",
    ),
    "pdf_kind_person": ("cá nhân", "person"),
    "pdf_kind_organisation": ("tổ chức", "organisation"),
    "pdf_sig_ok": ("hợp lệ", "valid"),
    "pdf_sig_broken": ("chữ ký bị hỏng", "the signature is broken"),
    "pdf_sig_modified": ("tệp bị sửa sau khi ký", "changed after signing"),
    "pdf_sig_revoked": ("chứng thư số đã bị thu hồi", "the certificate is revoked"),
    "pdf_sig_expired": ("chứng thư số đã hết hạn", "the certificate has expired"),
    "pdf_sig_untrusted": (
        "chứng thư số không thuộc danh sách tin cậy",
        "the certificate is not from the trust list",
    ),
    "pdf_rev_good": ("còn hiệu lực", "good"),
    "pdf_rev_revoked": ("đã thu hồi", "revoked"),
    "pdf_rev_not_checked": ("chưa kiểm tra", "not checked"),
    "timestamps": ("Dấu thời gian (RFC 3161)", "Timestamps (RFC 3161)"),
    "ts_stamped": ("đã đóng dấu", "stamped"),
    "ts_waiting": ("đang chờ máy chủ cấp dấu thời gian", "waiting for the time-stamp authority"),
    "action": ("Hành động", "Action"),
    "actor": ("Người thực hiện", "Actor"),
    "mailbox_depth": ("Hộp thư chờ", "Mailbox depth"),
    "last_seen": ("Lần cuối kết nối", "Last seen"),
    "never": ("chưa từng", "never"),
    "retired_into": ("Chuyển giao cho", "Retired into"),
    "retry": ("Gửi lại", "Retry"),
    "discard": ("Hủy bỏ", "Discard"),
    "no_results": ("Không có kết quả", "No results"),
    "next_page": ("Trang sau", "Next page"),
    "overdue_list": ("Văn bản quá hạn chưa hoàn thành", "Overdue, not completed"),
    "overdue_units": ("Đơn vị chưa hoàn thành", "Units not completed"),
    "live": ("Cập nhật trực tiếp", "Live updates"),
    "export_csv": ("Xuất CSV", "Export CSV"),
    "export_xlsx": ("Xuất Excel (XLSX)", "Export Excel (XLSX)"),
    "unit_or_name": ("Đơn vị (mã hoặc tên)", "Unit (code or name)"),
    "units_matched": ("Đơn vị tìm theo", "Units searched"),
    "unit_hint": (
        "Không có đơn vị nào có mã này hoặc tên chứa chuỗi này. Nhập mã đơn vị "
        "(vd. 000.00.00.H01) hoặc một phần tên, có dấu hay không dấu đều được.",
        "No unit has this code or a name containing it. Give a unit code "
        "(e.g. 000.00.00.H01) or part of its name, with or without diacritics.",
    ),
    "language": ("English", "Tiếng Việt"),
    "error": ("Lỗi", "Error"),
    "name": ("Tên", "Name"),
    "code": ("Mã", "Code"),
    "dead_letter_empty": ("Không có thư lỗi", "No dead letters"),
    "not_seen_days": ("Không kết nối từ (số ngày)", "Not seen for (days)"),
    "filter": ("Lọc", "Filter"),
    "show_tree": ("Xem cây đơn vị", "Show the tree"),
    "all_seen": (
        "Mọi đơn vị đều đã kết nối trong thời gian này",
        "Every unit was seen in that time",
    ),
    "skip_to_content": ("Chuyển đến nội dung", "Skip to content"),
    "discard_confirm": (
        "Hủy bỏ thư lỗi này? Thư bị hủy sẽ mất hẳn, không gửi lại được.",
        "Discard this dead letter? A discarded message is gone for good; it cannot be retried.",
    ),
    "discard_yes": ("Có, hủy bỏ", "Yes, discard"),
    "cancel": ("Không, quay lại", "No, go back"),
    "dead_letter_gone": ("Thư lỗi này không còn nữa", "This dead letter is no longer there"),
    "dead_id": ("Mã thư lỗi", "Dead letter id"),
    "message_id": ("Mã văn bản", "Document id"),
    "seq": ("STT", "No."),
    "receipt_code": ("Mã", "Code"),
    "any_state": ("Tất cả", "Any"),
    "sent_on": ("Ngày gửi", "Sent on"),
    "back_overview": ("Về trang tổng quan", "Back to the overview"),
    "error_title": ("Không thực hiện được", "Could not be done"),
    "error_code": ("Mã lỗi", "Error code"),
    "main_nav": ("Trang chính", "Main"),
    "scope": ("Phạm vi", "Scope"),
    "dashboard": ("Tình hình xử lý", "Dashboard"),
    "drill_path": ("Vị trí trong cây đơn vị", "Where in the tree"),
    "all_units": ("Toàn bộ", "Everything"),
    "period_days": ("Số ngày gần nhất", "Last days"),
    "on_time_share": ("Xử lý đúng hạn", "Handled in time"),
    "sent_docs": ("Văn bản gửi đi", "Documents sent"),
    "received_docs": ("Văn bản nhận", "Documents received"),
    "units_late": ("Đơn vị có văn bản quá hạn", "Units with overdue documents"),
    "chart_daily": ("Văn bản gửi và nhận theo ngày", "Documents sent and received per day"),
    "drill_down": ("Đơn vị trực thuộc", "Units below"),
    "overdue_by_unit": ("Quá hạn theo đơn vị", "Overdue by unit"),
    "medians": ("Thời gian xử lý (trung vị)", "Time taken (median)"),
    "median_01": ("Đến khi nhận (01)", "Until received (01)"),
    "median_06": ("Đến khi hoàn thành (06)", "Until completed (06)"),
    "hours": ("giờ", "hours"),
    "units_not_seen": ("Đơn vị không kết nối", "Units not seen"),
    "report_month": ("Báo cáo tháng", "Monthly report"),
    "report_download": ("Tải báo cáo (XLSX)", "Download the report (XLSX)"),
    "report_download_pdf": ("Tải báo cáo (PDF)", "Download the report (PDF)"),
    "times_note": ("Giờ Việt Nam (UTC+7)", "Vietnam time (UTC+7)"),
    # changing a unit (issue 24)
    "unit_change": ("Thay đổi đơn vị", "Change a unit"),
    "change_unit": ("Thay đổi", "Change"),
    "change_merge": ("Sáp nhập vào đơn vị khác", "Merge into another unit"),
    "change_retire": ("Giải thể, chuyển giao cho", "Retire, handing over to"),
    "change_recode": ("Đổi mã", "Re-code"),
    "change_move": ("Chuyển đơn vị cấp trên", "Move (new parent)"),
    "change_rename": ("Đổi tên", "Rename"),
    "change_split": ("Chia tách", "Split"),
    "field_merge_into": ("Mã đơn vị sáp nhập vào", "Code of the unit merged into"),
    "field_merge_name": ("Tên (nếu là đơn vị mới)", "Name (when it is a new unit)"),
    "field_merge_parent": ("Cấp trên (nếu là đơn vị mới)", "Parent (when it is a new unit)"),
    "field_retire_successor": ("Mã đơn vị kế thừa", "Code of the successor"),
    "field_recode_new_code": ("Mã mới", "New code"),
    "field_move_parent": (
        "Mã đơn vị cấp trên mới (trống: cấp cao nhất)",
        "Code of the new parent (empty: top level)",
    ),
    "field_rename_name": ("Tên mới", "New name"),
    "field_split_into": (
        "Mã các đơn vị mới, cách nhau bởi dấu phẩy (đơn vị đầu nhận văn bản)",
        "Codes of the new units, comma-separated (the first gets documents)",
    ),
    "effective_at": (
        "Có hiệu lực từ (giờ UTC+7; để trống: ngay)",
        "Effective from (Vietnam time; empty: now)",
    ),
    "change_at_hint": (
        "Mỗi thay đổi được xem trước rồi mới xác nhận. Thay đổi có hẹn giờ chỉ có hiệu lực "
        "từ thời điểm đó, đồng thời ở mọi tiến trình của trục.",
        "Each change is previewed before it is confirmed. A change with a later date takes "
        "effect at that instant, in every hub process at once.",
    ),
    "preview": ("Xem trước", "Preview"),
    "change_preview": ("Xem trước thay đổi", "Preview of the change"),
    "change_steps": ("Những gì sẽ được ghi", "What it writes"),
    "change_touched": ("Những gì được chuyển giao", "What is carried over"),
    "change_confirm": ("Xác nhận thay đổi", "Confirm the change"),
    "change_now": ("Có hiệu lực ngay khi xác nhận", "Takes effect when confirmed"),
    "change_scheduled_at": ("Hẹn giờ, có hiệu lực từ", "Scheduled, takes effect at"),
    "change_done": ("Đã thực hiện", "Done"),
    "scheduled_changes": ("Thay đổi đã hẹn giờ", "Scheduled changes"),
    "parent_unit": ("Đơn vị cấp trên", "Parent unit"),
    "valid_from": ("Hiệu lực từ", "Valid from"),
    "valid_until": ("Hết hiệu lực từ", "Retired from"),
    "predecessors": ("Tiền thân", "Predecessors"),
    "successors": ("Kế thừa", "Successors"),
    "unit_active": ("Đang hoạt động", "Active"),
    "unit_retired": ("Đã giải thể / sáp nhập", "Retired"),
    "kind_retire": ("giải thể", "retired"),
    "kind_merge": ("sáp nhập", "merged"),
    "kind_split": ("chia tách", "split"),
    "kind_recode": ("đổi mã", "re-coded"),
    "tokens stopping": ("Mã truy cập ngừng hiệu lực", "Tokens stopping"),
    "pending items handed over": (
        "Mục chờ trong hộp thư được chuyển giao",
        "Pending mailbox items handed over",
    ),
    "group places following": ("Vị trí trong nhóm chuyển theo", "Group places following"),
    "addressed_to": ("Gửi đến", "Addressed to"),
    "now_handled_by": ("nay do đơn vị kế thừa xử lý:", "now handled by its successor"),
    "handover_document": (
        "Văn bản được đơn vị kế thừa nhận thay",
        "Document taken over by the successor",
    ),
    "handover_receipt": (
        "Biên nhận được đơn vị kế thừa nhận thay",
        "Receipt taken over by the successor",
    ),
    "detail_successors": ("Kế thừa", "Successors"),
    "detail_kind": ("Hình thức", "How"),
    "detail_name": ("Tên", "Name"),
    "detail_parent": ("Cấp trên", "Parent"),
    "detail_was": ("Trước đây", "Was"),
    "detail_group": ("Nhóm", "Group"),
    "detail_added": ("Thêm", "Added"),
    "detail_removed": ("Bỏ", "Removed"),
    "child units following": ("Đơn vị trực thuộc chuyển theo", "Child units following"),
}

#: The console's error messages by stable code (the code stays beside them, for support).
_ERRORS: dict[str, tuple[str, str]] = {
    "auth.required": ("Vui lòng đăng nhập", "Please log in"),
    "auth.invalid_token": (
        "Mã truy cập không đúng hoặc đã bị thu hồi",
        "The token is unknown or revoked",
    ),
    "auth.forbidden": ("Bạn không có quyền làm việc này", "You may not do this"),
    "auth.csrf": (
        "Biểu mẫu không hợp lệ hoặc được gửi từ trang khác; hãy mở lại trang của bảng điều khiển",
        "The form is invalid or was sent from another site; open the console's own page",
    ),
    "message.not_found": (
        "Không có văn bản này, hoặc bạn không được xem",
        "No such document, or not one you may see",
    ),
    "dead_letter.not_found": (
        "Không còn thư lỗi này (đã gửi lại hoặc đã hủy)",
        "No such dead letter (already retried or discarded)",
    ),
    "directory.unknown_unit": ("Không có đơn vị này", "No such unit"),
    "request.invalid": ("Yêu cầu không hợp lệ", "The request is invalid"),
    "request.bad_parameter": ("Tham số không hợp lệ", "A parameter is invalid"),
    "request.bad_text": (
        "Văn bản nhập có ký tự không hợp lệ",
        "The text holds a character that is not allowed",
    ),
}

#: What an audit entry records, in words (``delivery.<state>``: see :func:`audit_action`).
_ACTIONS: dict[str, tuple[str, str]] = {
    "message.accepted": ("Trục tiếp nhận văn bản", "Document accepted by the hub"),
    "pdf.verified": ("Kiểm tra chữ ký số tệp PDF", "PDF signatures checked"),
    "mailbox.added": ("Đưa vào hộp thư", "Put in the mailbox"),
    "mailbox.acked": ("Đơn vị đã lấy về", "Fetched by the unit"),
    "receipt.added": ("Nhận biên nhận", "Receipt received"),
    "dead_letter.retry": ("Gửi lại thư lỗi", "Dead letter retried"),
    "dead_letter.discard": ("Hủy thư lỗi", "Dead letter discarded"),
    "message.recalled": ("Thu hồi văn bản", "Document recalled"),
    "unit.added": ("Thêm đơn vị", "Unit added"),
    "unit.renamed": ("Đổi tên đơn vị", "Unit renamed"),
    "unit.moved": ("Chuyển đơn vị cấp trên", "Unit moved"),
    "unit.retired": ("Giải thể đơn vị", "Unit retired"),
    "unit.merged": ("Sáp nhập đơn vị", "Unit merged"),
    "unit.split": ("Chia tách đơn vị", "Unit split"),
    "unit.recoded": ("Đổi mã đơn vị", "Unit re-coded"),
    "unit.rename_scheduled": ("Hẹn giờ đổi tên", "Rename scheduled"),
    "unit.move_scheduled": ("Hẹn giờ chuyển cấp trên", "Move scheduled"),
    "group.followed": ("Nhóm đơn vị cập nhật theo", "Group follows"),
    "mailbox.handed_over": ("Đơn vị kế thừa nhận thay đơn vị cũ", "Handed over to the successor"),
}

_ACTORS: dict[str, tuple[str, str]] = {
    "hub": ("Trục liên thông", "The hub"),
    "cli": ("Quản trị (dòng lệnh)", "Administrator (command line)"),
    "admin": ("Quản trị", "Administrator"),
}


def error_text(lang: str, code: str) -> str:
    """An error's message in ``lang`` by its stable code (a generic sentence for a code
    the console does not name)."""
    pair = _ERRORS.get(code)
    if pair is None:
        pair = ("Không thực hiện được yêu cầu", "The request could not be done")
    return pair[1 if lang == "en" else 0]


def audit_action(lang: str, action: str) -> str:
    """An audit action in words: ``delivery.accepted`` is "Chuyển trạng thái: Đã tiếp nhận"."""
    pair = _ACTIONS.get(action)
    if pair is not None:
        return pair[1 if lang == "en" else 0]
    family, _, rest = action.partition(".")
    if family == "delivery" and rest:
        prefix = "State" if lang == "en" else "Chuyển trạng thái"
        return f"{prefix}: {state_namer(lang)(rest)}"
    return action


def audit_actor(lang: str, actor: str, unit: Callable[[str], str]) -> str:
    """Who did it: the hub, an operator (``operator:NAME``), or a unit (``unit:CODE`` or the
    bare code: its name)."""
    pair = _ACTORS.get(actor)
    if pair is not None:
        return pair[1 if lang == "en" else 0]
    if actor.startswith("operator:"):
        return ("Operator " if lang == "en" else "Người vận hành ") + actor[len("operator:") :]
    return unit(actor.removeprefix("unit:"))


#: Why the bus gave up on a message (``DeadLetter.reason``), in words.
_DEAD_REASONS: dict[str, tuple[str, str]] = {
    "rejected": ("Bị từ chối khi xử lý", "Refused when it was handled"),
    "delivery_limit": ("Đã thử {attempts} lần không thành", "Gave up after {attempts} attempts"),
    "expired": ("Hết hạn trước khi được giao", "Expired before it was delivered"),
}


def dead_letter_reason(lang: str, reason: str, error: str, attempts: int) -> str:
    """Why a message was dead-lettered, in ``lang``, with its last error described
    (the stable code kept in brackets, for searching the documentation)."""
    pair = _DEAD_REASONS.get(reason)
    text = pair[1 if lang == "en" else 0].format(attempts=attempts) if pair else reason
    if error:
        described = ERROR_CODES.get(error) if lang == "en" else None
        if error in _ERRORS:
            described = error_text(lang, error)
        text += f": {described} ({error})" if described else f": {error}"
    return text


#: Delivery states in Vietnamese: the hub's own three, then the edXML status names of
#: QCVN 102:2016 (01 Đã đến … 16 Từ chối lấy lại), then the hub's final verdicts.
_STATE_NAMES_VI: dict[str, str] = {
    "submitted": "Đã gửi lên trục",
    "queued": "Đang chuyển",
    "delivered": "Đã đến hộp thư",
    "received": "Đã đến",
    "rejected": "Từ chối tiếp nhận",
    "accepted": "Đã tiếp nhận",
    "assigned": "Phân công",
    "processing": "Đang xử lý",
    "completed": "Hoàn thành",
    "recall_requested": "Yêu cầu lấy lại",
    "recall_agreed": "Đồng ý lấy lại",
    "recall_refused": "Từ chối lấy lại",
    "expired": "Hết hạn",
    "failed": "Thất bại",
}


#: Delivery states in English words.
_STATE_NAMES_EN: dict[str, str] = {
    "submitted": "Submitted to the hub",
    "queued": "Queued",
    "delivered": "In the mailbox",
    "received": "Received",
    "rejected": "Rejected",
    "accepted": "Accepted",
    "assigned": "Assigned",
    "processing": "Processing",
    "completed": "Completed",
    "recall_requested": "Recall requested",
    "recall_agreed": "Recall agreed",
    "recall_refused": "Recall refused",
    "expired": "Expired",
    "failed": "Failed",
}


def state_namer(lang: str) -> Callable[[str], str]:
    """A function from a delivery state (``received``) to its name in ``lang`` (an
    unknown state comes back as is)."""
    names = _STATE_NAMES_EN if lang == "en" else _STATE_NAMES_VI

    def name(state: str) -> str:
        return names.get(state, state)

    return name


def translator(lang: str) -> Callable[[str], str]:
    """A function from label key to text in ``lang`` (unknown keys come back as is)."""
    index = 1 if lang == "en" else 0

    def gettext(key: str) -> str:
        pair = _LABELS.get(key)
        return pair[index] if pair else key

    return gettext


def pick_language(query_lang: str | None, cookie_lang: str | None) -> str:
    """The query parameter wins, then the cookie, then Vietnamese."""
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    return "vi"
