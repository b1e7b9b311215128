"""The console over HTTP against a running hub: login CSRF, and sessions end with their token.

Issue 21, item 6: a login POST from another origin got a session cookie, and a console
session stayed open (200 for 8 h) after its operator token was revoked.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from support.hubproc import HubProcess
from support.livehub import LiveHome, Reply, live_home

pytestmark = [pytest.mark.slow]


async def _login(live: LiveHome, hub: HubProcess, **headers: str) -> Reply:
    form = {"token": live.tokens["operator"]}
    return await live.request(hub, "POST", "/console/login", data=form, headers=headers)


def _cookie(reply: Reply) -> dict[str, str]:
    """The session cookie a login set, as a request header."""
    assert reply.status == 303 and reply.headers["Location"] == "/console", reply
    return {"Cookie": reply.headers["Set-Cookie"].split(";", 1)[0]}


async def test_a_login_posted_from_another_site_gets_no_session(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Origin or Referer naming another site (or Origin: null) is 403 and sets no cookie;
    the console's own origin, or a script with neither header, logs in."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Referer": "https://evil.example/login.html"},
            {"Origin": "https://evil.example", "Referer": f"{hub.url}/console/login"},
            {"Origin": f"http://127.0.0.1:{hub.port}.evil.example"},
        ):
            refused = await _login(live, hub, **headers)
            assert refused.status == 403, (headers, refused)
            assert "Set-Cookie" not in refused.headers, headers
        for headers in (
            {"Origin": hub.url},
            {"Referer": f"{hub.url}/console/login"},
            {"Origin": "https://hub.example", "X-Forwarded-Host": "hub.example"},
            {},
        ):
            cookie = _cookie(await _login(live, hub, **headers))
            page = await live.request(hub, "GET", "/console", headers=cookie)
            assert page.status == 200, (headers, page)


async def test_a_session_ends_when_its_operator_token_is_revoked(
    tmp_path: Path, sqlite_url: str
) -> None:
    """After `tokens revoke`, the session's pages, CSV export and event stream stop at once;
    a session opened with another operator token goes on."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        hub = await live.serve()
        other = live.home.cli("tokens", "create", "--operator", "ops2").strip()
        cookie = _cookie(await _login(live, hub, Origin=hub.url))
        other_form = {"token": other}
        other_cookie = _cookie(
            await live.request(hub, "POST", "/console/login", data=other_form, headers={})
        )
        assert (await live.request(hub, "GET", "/console", headers=cookie)).status == 200
        async with aiohttp.ClientSession() as http:
            stream = await http.get(f"{hub.url}/console/events", headers=cookie)
            assert stream.status == 200
            assert await stream.content.readline() == b": connected\n"

            live.home.cli("tokens", "revoke", live.tokens["operator"])
            for path in ("/console", "/console/messages", "/console/messages.csv"):
                after = await live.request(hub, "GET", path, headers=cookie)
                assert after.status == 303, (path, after)
                assert after.headers["Location"] == "/console/login"
            ended = await asyncio.wait_for(stream.content.read(), timeout=10)
            assert b"event:" not in ended
            stream.release()
        still = await live.request(hub, "GET", "/console", headers=other_cookie)
        assert still.status == 200, still
