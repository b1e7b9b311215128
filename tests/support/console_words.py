"""Finding untranslated words on a console page: take the data out of the page's visible
text (:func:`page_data`), and the words left in both languages' renderings are labels
someone forgot (:func:`words`)."""

from __future__ import annotations

import re

import lxml.html

from gateway.errors import ERROR_CODES
from tests.support.seeded_hub import SeededHub

__all__ = ["ATTRIBUTES", "SAME_IN_BOTH", "page_data", "texts", "words"]

#: Words that are the same in both languages on purpose.
SAME_IN_BOTH = {"Lienthong", "CSV", "XLSX", "PDF", "Excel", "UTC"}
#: The human-facing attributes read with the text.
ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


async def page_data(live: SeededHub) -> list[str]:
    """The strings that are data, not labels: longest first (removed in that order)."""
    units = await live.hub.directory.list()
    strings = {u.code for u in units} | {u.name for u in units}
    strings |= set(live.documents.values()) | {"tester", "poison-1", "not-a-uuid"}
    for message_id in live.documents.values():
        status = await live.hub.messages.status(message_id)
        strings.add(status.subject)
        strings |= {rc.reason for r in status.recipients for rc in r.receipts if rc.reason}
    strings |= set(ERROR_CODES) | {"Báo cáo quý <b>IV</b>"}
    return sorted(strings, key=len, reverse=True)


def texts(page: str) -> list[str]:
    """The visible text of a page and its human-facing attributes, piece by piece."""
    root = lxml.html.fromstring(page)
    for dropped in root.xpath("//script|//style|//code"):
        dropped.drop_tree()
    found = [t for t in root.xpath("//body//text()") if t.strip()]
    found += [root.findtext(".//title") or ""]
    for name in ATTRIBUTES:
        found += root.xpath(f"//@{name}")
    return found


def words(page: str, data: list[str]) -> set[str]:
    """The words of ``page`` once every ``data`` string is taken out."""
    found: set[str] = set()
    for text in texts(page):
        for item in data:
            text = text.replace(item, " ")
        found |= {w for w in re.findall(r"[^\W\d_]+", text) if w not in SAME_IN_BOTH}
    return found
