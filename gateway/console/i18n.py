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
    "receipts": ("Biên nhận", "Receipts"),
    "by": ("Bởi", "By"),
    "at": ("Lúc", "At"),
    "reason": ("Lý do", "Reason"),
    "timeline": ("Diễn biến", "Timeline"),
    "audit_trail": ("Nhật ký kiểm toán", "Audit trail"),
    "action": ("Hành động", "Action"),
    "actor": ("Người thực hiện", "Actor"),
    "mailbox_depth": ("Hộp thư chờ", "Mailbox depth"),
    "last_seen": ("Lần cuối kết nối", "Last seen"),
    "never": ("chưa từng", "never"),
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
}

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
        described = ERROR_CODES.get(error)
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


def state_namer(lang: str) -> Callable[[str], str]:
    """A function from a delivery state (``received``) to its name in ``lang`` (English:
    the state itself; an unknown state comes back as is)."""
    if lang == "en":
        return lambda state: state

    def name(state: str) -> str:
        return _STATE_NAMES_VI.get(state, state)

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
