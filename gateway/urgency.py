"""Urgency (độ khẩn) as data: the edXML ``Priority`` codes, validated, and the order of a
mailbox.

QCVN 102:2016 carries a document's urgency in ``OtherInfo/Priority`` as a digit; the
sample messages use ``0``. The hub stores and shows that code:

====  =================  ==========================
code  name               also accepted
====  =================  ==========================
0     thường             normal, thuong
1     khẩn               khan, urgent
2     thượng khẩn        thuong khan, very urgent
3     hỏa tốc            hoa toc, flash
4     hỏa tốc hẹn giờ    hoa toc hen gio, timed flash
====  =================  ==========================

Anything else is refused with ``request.bad_urgency`` (422), whose message lists these.

A mailbox hands out urgent documents first, without starving the rest: an item's rank is
the time it arrived minus a head start that grows with its urgency (:data:`HEAD_START`),
so a hỏa tốc document overtakes what arrived at most four hours before it, and anything
that has waited longer than that comes first however many urgent documents follow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum

from gateway.errors import RequestError
from gateway.text import fold

__all__ = ["HEAD_START", "Urgency", "parse_urgency", "rank"]


class Urgency(IntEnum):
    """The edXML Priority codes."""

    NORMAL = 0
    KHAN = 1
    THUONG_KHAN = 2
    HOA_TOC = 3
    HOA_TOC_HEN_GIO = 4

    @property
    def code(self) -> str:
        """The edXML digit (``"3"``)."""
        return str(int(self))

    @property
    def label(self) -> str:
        """The Vietnamese name (``"hỏa tốc"``)."""
        return _NAMES[self][0]


_NAMES: dict[Urgency, tuple[str, ...]] = {
    Urgency.NORMAL: ("thường", "normal"),
    Urgency.KHAN: ("khẩn", "urgent"),
    Urgency.THUONG_KHAN: ("thượng khẩn", "very urgent"),
    Urgency.HOA_TOC: ("hỏa tốc", "flash"),
    Urgency.HOA_TOC_HEN_GIO: ("hỏa tốc hẹn giờ", "timed flash"),
}
_BY_NAME = {fold(name): u for u, names in _NAMES.items() for name in names} | {
    u.code: u for u in Urgency
}
_VALID = ", ".join(f"{u.code} ({u.label})" for u in Urgency)

#: How far ahead of its arrival an item of each urgency is ranked in a mailbox.
HEAD_START: dict[Urgency, timedelta] = {
    Urgency.NORMAL: timedelta(0),
    Urgency.KHAN: timedelta(hours=1),
    Urgency.THUONG_KHAN: timedelta(hours=2),
    Urgency.HOA_TOC: timedelta(hours=4),
    Urgency.HOA_TOC_HEN_GIO: timedelta(hours=4),
}

_HEAD_START_BY_CODE = {int(u): start for u, start in HEAD_START.items()}


def parse_urgency(value: object, *, code: str = "request.bad_urgency") -> Urgency:
    """The urgency a code or name stands for (``None`` or blank: normal); else a
    ``request.bad_urgency`` error (422) that lists the valid values."""
    if value is None:
        return Urgency.NORMAL
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        key = fold(value).replace("_", " ").replace("-", " ")
        if not key:
            return Urgency.NORMAL
        found = _BY_NAME.get(key.lstrip("0") or "0") or _BY_NAME.get(key)
        if found is not None:
            return found
    shown = repr(value)[:40]
    raise RequestError(f"unknown urgency {shown}; valid: {_VALID}", code=code, http_status=422)


def rank(arrived: datetime, urgency: int) -> datetime:
    """The time a mailbox item ranks at: its arrival, less its urgency's head start."""
    return arrived - _HEAD_START_BY_CODE.get(urgency, timedelta(0))
