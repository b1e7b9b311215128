"""Logging in to the operators' console of a served test hub."""

from __future__ import annotations

import re

import aiohttp

from tests.support.seeded_hub import SeededHub

__all__ = ["login"]


async def login(live: SeededHub) -> tuple[aiohttp.ClientSession, str]:
    """A client session logged in as the hub's operator, and the page's CSRF token."""
    jar = aiohttp.CookieJar(treat_as_secure_origin=[live.url])
    client = aiohttp.ClientSession(cookie_jar=jar)
    async with client.post(f"{live.url}/console/login", data={"token": live.operator_token}) as r:
        assert r.status == 200 and r.url.path == "/console"
        page = await r.text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    return client, csrf.group(1)
