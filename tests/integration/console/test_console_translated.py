"""Every console page, rendered in Vietnamese and in English over HTTP, has no text left
untranslated: a word that shows in both languages' renderings of a page, once the data
(unit names and codes, subjects, ids, error codes) is taken out, is a label someone forgot.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.console.i18n import _LABELS
from tests.support.console_words import page_data, words
from tests.support.seeded_hub import COMMUNES, DISTRICTS, PROVINCE, SeededHub, seeded_hub

TEMPLATES = Path(__file__).resolve().parents[3] / "gateway" / "console" / "templates"
MISSING = uuid.uuid4()


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        poison = json.dumps({"kind": "document", "message_id": "not-a-uuid"}).encode()
        await running.hub.bus.publish("documents", COMMUNES[0], poison, message_id="poison-1")
        for _ in range(100):
            if await running.hub.bus.dead_letter_count():
                break
            await asyncio.sleep(0.1)
        yield running


async def _pages(live: SeededHub, lang: str) -> dict[str, tuple[int, str]]:
    """Every console page (and its error pages) in ``lang``: path -> (status, html)."""
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    out: dict[str, tuple[int, str]] = {}
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.get(f"{live.url}/console/login?lang={lang}") as r:
            out["login"] = (r.status, await r.text())
        async with client.post(f"{live.url}/console/login", data={"token": "wrong"}) as r:
            out["login, wrong token"] = (r.status, await r.text())
        async with client.post(f"{live.url}/console/login", data={"token": live.operator_token}):
            pass
        dead_id = (await live.hub.bus.dead_letters(limit=10))[0].message_id
        paths = [
            "/console", "/console/messages", "/console/messages?state=rejected",
            "/console/messages?unit=zzz-no-such-unit",
            *(f"/console/messages/{m}" for m in live.documents.values()),
            "/console/units", "/console/units?not_seen_days=0", "/console/units?not_seen_days=1",
            "/console/dead-letters", f"/console/messages/{MISSING}",
            "/console/messages?since=not-a-date", "/console/units?not_seen_days=abc",
            "/console/dashboard", f"/console/dashboard?unit={PROVINCE}",
            f"/console/dashboard?unit={DISTRICTS[1]}&days=7", "/console/dashboard?days=0",
            "/console/dashboard?unit=000.00.99.H01",
            "/console/report.xlsx?month=2026-13",
        ]  # fmt: skip
        for path in paths:
            async with client.get(f"{live.url}{path}") as r:
                out[path] = (r.status, await r.text())
        page = out["/console"][1]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        async with client.post(
            f"{live.url}/console/dead-letters/{dead_id}/discard", data={"csrf": csrf.group(1)}
        ) as r:
            out["discard, asked"] = (r.status, await r.text())
        async with client.post(f"{live.url}/console/logout", data={"csrf": "forged"}) as r:
            out["logout, forged csrf"] = (r.status, await r.text())
    return out


async def test_every_page_is_translated(live: SeededHub) -> None:
    """No page shows a word in both its Vietnamese and its English rendering (bar data)."""
    data = await page_data(live)
    vi, en = await _pages(live, "vi"), await _pages(live, "en")
    assert {p: s for p, (s, _) in vi.items()} == {p: s for p, (s, _) in en.items()}
    untranslated = {}
    for path, (_, vi_page) in vi.items():
        same = words(vi_page, data) & words(en[path][1], data)
        if same:
            untranslated[path] = sorted(same)
    assert untranslated == {}, untranslated
    assert 'lang="vi"' in vi["/console"][1] and 'lang="en"' in en["/console"][1]
    not_found = [page for status, page in vi.values() if status == 404]
    assert not_found and "Không có văn bản này" in not_found[0]


def test_every_label_used_by_a_template_exists() -> None:
    """Each ``_("key")`` in the templates has a Vietnamese and an English text."""
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"""_\(\s*["']([a-z_]+)["']\s*\)""", template.read_text()))
    assert used and sorted(used - set(_LABELS)) == []
