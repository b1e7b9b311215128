"""Changing units from the console over real HTTP (issue 24): preview, confirm, schedule;
the whole hub's operators only; CSRF; hostile form input answered with typed errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from gateway.console.people import LOCAL
from gateway.store.models import AuditRow
from tests.support.console_client import login
from tests.support.console_words import page_data, words
from tests.support.seeded_hub import COMMUNES, DISTRICTS, PROVINCE, SeededHub, seeded_hub


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[SeededHub]:
    async with seeded_hub(tmp_path / "home") as running:
        yield running


def _change(live: SeededHub, code: str, action: str) -> str:
    return f"{live.url}/console/units/{code}/change/{action}"


async def _state(live: SeededHub, code: str) -> dict[str, object]:
    return await live.hub.directory.describe(code)


async def test_merge_is_previewed_then_made_when_confirmed(live: SeededHub) -> None:
    """A merge posted without confirm only shows what it would do (nothing changes); the
    confirmed post makes it, audited as the operator, and the page shows the lineage."""
    gone, survivor = DISTRICTS[0], DISTRICTS[1]
    client, csrf = await login(live)
    async with client:
        async with client.get(f"{live.url}/console/units") as r:
            assert f'href="/console/units/{gone}/change"' in await r.text()
        async with client.get(f"{live.url}/console/units/{gone}/change") as r:
            assert r.status == 200
            page = await r.text()
        assert 'id="form-merge"' in page and 'id="form-recode"' in page
        form = {"csrf": csrf, "into": survivor, "at": ""}
        async with client.post(_change(live, gone, "merge"), data=form) as r:
            assert r.status == 200
            preview = await r.text()
        assert 'data-action="unit.merged"' in preview and f'data-unit="{gone}"' in preview
        assert 'data-action="unit.moved"' in preview  # its communes follow the survivor
        assert re.search(r'data-what="child units following">[^<]*<b>2</b>', preview)
        assert (await _state(live, gone))["state"] == "active"  # only previewed

        confirm_form = preview.split('id="change-confirm"')[0].rsplit("<form", 1)[1]
        confirm = dict(re.findall(r'name="(\w+)" value="([^"]*)"', confirm_form))
        assert confirm["confirm"] == "yes" and confirm["into"] == survivor
        async with client.post(
            _change(live, gone, "merge"), data=confirm, allow_redirects=False
        ) as r:
            assert r.status == 303
            assert r.headers["Location"] == f"/console/units/{gone}/change?done=merge"
        async with client.get(f"{live.url}/console/units/{gone}/change?done=merge&lang=en") as r:
            page = await r.text()
    unit = await _state(live, gone)
    assert unit["state"] == "retired"
    assert [s["code"] for s in unit["successors"]] == [survivor]  # type: ignore[attr-defined]
    assert 'data-state="retired"' in page and f'data-code="{survivor}"' in page
    assert 'id="form-merge"' not in page  # a retired unit is not changed again
    async with live.hub.db.read() as session:
        rows = await session.execute(
            select(AuditRow.actor).where(AuditRow.action == "unit.merged", AuditRow.unit == gone)
        )
        assert list(rows.scalars()) == ["operator:tester"]


async def test_scheduled_retirement_waits_for_its_instant(live: SeededHub) -> None:
    """An effective date without an offset is Vietnam time; the retirement is kept for
    it and routing does not change before."""
    code, successor = COMMUNES[0], COMMUNES[1]
    later = (datetime.now(LOCAL) + timedelta(days=30)).replace(second=0, microsecond=0)
    local = later.strftime("%Y-%m-%dT%H:%M")  # what a datetime-local input sends
    client, csrf = await login(live)
    async with client:
        form = {"csrf": csrf, "successor": successor, "at": local}
        async with client.post(_change(live, code, "retire"), data=form) as r:
            preview = await r.text()
        assert 'data-scheduled="True"' in preview
        form["confirm"] = "yes"
        async with client.post(_change(live, code, "retire"), data=form) as r:
            assert r.status == 200 and r.url.path == f"/console/units/{code}/change"
    unit = await _state(live, code)
    assert unit["state"] == "active"
    assert unit["valid_until"] == later.astimezone(UTC)
    assert await live.hub.directory.lineage.active(code)


async def test_recode_and_move(live: SeededHub) -> None:
    """A re-code makes the new code the old one's successor; a move re-parents a unit."""
    client, csrf = await login(live)
    async with client:
        form = {"csrf": csrf, "new_code": "000.01.09.H01", "confirm": "yes"}
        async with client.post(_change(live, COMMUNES[1], "recode"), data=form) as r:
            assert r.status == 200
        form = {"csrf": csrf, "parent": DISTRICTS[1], "confirm": "yes"}
        async with client.post(_change(live, COMMUNES[0], "move"), data=form) as r:
            assert r.status == 200
    recoded = await _state(live, "000.01.09.H01")
    assert [p["code"] for p in recoded["predecessors"]] == [COMMUNES[1]]  # type: ignore[attr-defined]
    assert (await _state(live, COMMUNES[0]))["parent"] == DISTRICTS[1]


async def test_changes_need_the_csrf_token_and_the_console_origin(live: SeededHub) -> None:
    """A post without the session's CSRF token, or from another site, changes nothing."""
    client, csrf = await login(live)
    async with client:
        async with client.post(
            _change(live, DISTRICTS[0], "retire"),
            data={"successor": DISTRICTS[1], "confirm": "yes"},
        ) as r:
            assert r.status == 403
            assert "auth.csrf" in await r.text()
        async with client.post(
            _change(live, DISTRICTS[0], "retire"),
            data={"csrf": csrf, "successor": DISTRICTS[1], "confirm": "yes"},
            headers={"Origin": "https://evil.example"},
        ) as r:
            assert r.status == 403
    assert (await _state(live, DISTRICTS[0]))["state"] == "active"


async def test_a_leader_may_not_change_units(live: SeededHub) -> None:
    """An operator with a scope (a leader) sees no change link, and the page and the
    post answer auth.forbidden; nothing changes."""
    token = await live.hub.directory.create_token(operator="leader", scope=PROVINCE)
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.post(f"{live.url}/console/login", data={"token": token}) as r:
            csrf = re.search(r'name="csrf" value="([^"]+)"', await r.text())
            assert csrf
        async with client.get(f"{live.url}/console/units") as r:
            assert "/change" not in await r.text()
        async with client.get(f"{live.url}/console/units/{DISTRICTS[0]}/change") as r:
            assert r.status == 403 and "auth.forbidden" in await r.text()
        form = {"csrf": csrf.group(1), "successor": DISTRICTS[1], "confirm": "yes"}
        async with client.post(_change(live, DISTRICTS[0], "retire"), data=form) as r:
            assert r.status == 403 and "auth.forbidden" in await r.text()
    assert (await _state(live, DISTRICTS[0]))["state"] == "active"


@pytest.mark.parametrize(
    ("action", "fields", "status", "code"),
    [
        ("retire", {"successor": "000.99.99.H01"}, 422, "directory.unknown_unit"),
        ("retire", {"successor": DISTRICTS[0]}, 422, "directory.cycle"),
        ("retire", {"successor": ""}, 400, "request.missing_field"),
        ("retire", {"successor": DISTRICTS[1], "at": "tomorrow"}, 422, "directory.invalid"),
        ("rename", {"name": "Tên\x00mới"}, 400, "request.bad_text"),
        ("move", {"parent": COMMUNES[0]}, 422, "directory.cycle"),
        ("recode", {"new_code": "x" * 300}, 422, "directory.bad_unit_code"),
        ("split", {"into": DISTRICTS[1]}, 422, "directory.invalid"),
    ],
)
async def test_hostile_form_input_is_a_typed_refusal(
    live: SeededHub, action: str, fields: dict[str, str], status: int, code: str
) -> None:
    """A change that cannot be made shows the form again with its stable error code (a
    4xx, never a 500), for the preview and the confirmed post alike; nothing changes."""
    client, csrf = await login(live)
    async with client:
        for confirm in ("", "yes"):
            form = {"csrf": csrf, "confirm": confirm, **fields}
            async with client.post(_change(live, DISTRICTS[0], action), data=form) as r:
                page = await r.text()
                found = re.search(r"<code>([\w.]+)</code>", page)
                assert (r.status, found and found.group(1)) == (status, code), page[-600:]
    assert (await _state(live, DISTRICTS[0]))["state"] == "active"


async def test_unknown_unit_page_is_not_found(live: SeededHub) -> None:
    """The change page of a code that is no unit (a NUL byte too) is an error page with
    directory.unknown_unit (422, as the API answers it)."""
    client, csrf = await login(live)
    async with client:
        for code in ("000.99.99.H01", "%00"):
            async with client.get(f"{live.url}/console/units/{code}/change") as r:
                assert r.status == 422 and "directory.unknown_unit" in await r.text()
        form = {"csrf": csrf, "successor": DISTRICTS[1], "confirm": "yes"}
        async with client.post(_change(live, "000.99.99.H01", "retire"), data=form) as r:
            assert r.status == 422


async def test_change_pages_are_translated(live: SeededHub) -> None:
    """The change page, a preview and a refusal have no word left untranslated (the same
    check as every other console page)."""
    data = [*await page_data(live), "000.01.09.H01"]
    client, csrf = await login(live)
    pages: dict[str, dict[str, str]] = {}
    async with client:
        for lang in ("vi", "en"):
            got = pages.setdefault(lang, {})
            async with client.get(
                f"{live.url}/console/units/{DISTRICTS[0]}/change?lang={lang}"
            ) as r:
                got["form"] = await r.text()
            for name, action, fields in (
                ("merge", "merge", {"into": DISTRICTS[1]}),
                ("recode", "recode", {"new_code": "000.01.09.H01", "at": "2030-07-01T00:00"}),
                ("refused", "move", {"parent": COMMUNES[0]}),
            ):
                form = {"csrf": csrf, **fields}
                async with client.post(
                    f"{_change(live, DISTRICTS[0], action)}?lang={lang}", data=form
                ) as r:
                    got[name] = await r.text()
    assert 'data-action="unit.recoded"' in pages["en"]["recode"]
    untranslated = {
        name: sorted(words(pages["vi"][name], data) & words(pages["en"][name], data))
        for name in pages["vi"]
    }
    assert untranslated == {name: [] for name in pages["vi"]}
