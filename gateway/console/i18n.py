"""Console labels: Vietnamese by default, English on request (``?lang=en`` or the switch)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.console.labels import LABELS as _LABELS
from gateway.errors import ERROR_CODES

LANGUAGES = ("vi", "en")

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
    "escalation.notified": ("Đã báo quá hạn", "Overdue notice sent"),
    "escalation.unknown": (
        "Không rõ thông báo quá hạn đã đi chưa (chờ người vận hành)",
        "Overdue notice may or may not have gone (waiting for an operator)",
    ),
    "escalation.confirmed": (
        "Người vận hành xác nhận thông báo quá hạn đã đến",
        "Operator confirmed the overdue notice arrived",
    ),
    "escalation.resend": (
        "Người vận hành cho gửi lại thông báo quá hạn",
        "Operator had the overdue notice sent again",
    ),
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
