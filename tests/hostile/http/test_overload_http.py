"""Admission control over HTTP against a running hub (issue 27 item 3): past ``[hub]
max_backlog`` a submission is 503 ``hub.overloaded`` with ``Retry-After`` and nothing is
stored; every accepted document reaches its recipient; once the recipient has fetched,
the hub accepts again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.hubproc import HubProcess
from support.livehub import A, B, LiveHome, Reply, live_home

pytestmark = [pytest.mark.slow]

BOUND = 5


def bound_hub(live: LiveHome, settings: str) -> None:
    """Put ``settings`` into the home's ``[hub]`` section before a process starts."""
    config = live.home.root / "config.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[hub]\n", f"[hub]\n{settings}\n", 1), encoding="utf-8")


async def mailbox_ids(live: LiveHome, hub: HubProcess, unit: str) -> set[str]:
    """The message ids of the documents in ``unit``'s mailbox (fetching them)."""
    reply = await live.request(hub, "GET", "/api/v1/mailbox?limit=500&wait=0", who=unit)
    assert reply.status == 200, reply
    return {i["message_id"] for i in reply.json["items"] if i["kind"] == "document"}


async def test_past_the_backlog_bound_503_and_nothing_accepted_is_lost(
    tmp_path: Path, sqlite_url: str
) -> None:
    """Twenty submissions at once against a bound of five deliveries: the refused ones are
    503 hub.overloaded with Retry-After and leave nothing; each accepted one is in the
    recipient's mailbox; after the recipient fetched them, a submission is accepted."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        bound_hub(live, f"max_backlog = {BOUND}\nmax_inflight_submissions = 0")
        hub = await live.serve()
        replies: list[Reply] = await asyncio.gather(
            *(live.send(hub, A, subject=f"Công văn {n}") for n in range(20))
        )
        accepted = {r.json["id"] for r in replies if r.status == 202}
        refused = [r for r in replies if r.status != 202]
        assert 1 <= len(accepted) <= BOUND and refused, [str(r) for r in replies]
        for reply in refused:
            assert reply.status == 503 and reply.code == "hub.overloaded", reply
            assert reply.headers["Retry-After"] == "1"
        search = await live.request(hub, "GET", "/api/v1/messages?limit=100", who="operator")
        assert {m["id"] for m in search.json["items"]} == accepted, search
        got: set[str] = set()
        for _ in range(50):  # the local bus puts them into the mailbox in the background
            got = await mailbox_ids(live, hub, B)
            if got >= accepted:
                break
            await asyncio.sleep(0.1)
        assert got == accepted
        again = await live.send(hub, A, subject="Sau khi đã nhận")
        for _ in range(50):  # the fetch is recorded beside the answer; the gauge follows
            if again.status == 202:
                break
            await asyncio.sleep(0.2)
            again = await live.send(hub, A, subject="Sau khi đã nhận")
        assert again.status == 202, again


async def test_past_the_intake_bound_503(tmp_path: Path, sqlite_url: str) -> None:
    """With one submission taken in at a time, twelve at once: some are 503
    hub.overloaded, the rest accepted, and the accepted ones are all stored."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        bound_hub(live, "max_backlog = 0\nmax_inflight_submissions = 1")
        hub = await live.serve()
        replies = await asyncio.gather(
            *(live.send(hub, A, subject=f"Văn bản {n}") for n in range(12))
        )
        codes = {(r.status, r.code) for r in replies}
        assert codes <= {(202, None), (503, "hub.overloaded")} and len(codes) == 2, codes
        accepted = {r.json["id"] for r in replies if r.status == 202}
        search = await live.request(hub, "GET", "/api/v1/messages?limit=100", who="operator")
        assert {m["id"] for m in search.json["items"]} == accepted
