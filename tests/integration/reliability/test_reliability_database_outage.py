"""Issue 3 part 8 (c): PostgreSQL unreachable: 503 ``store.unavailable``, then recovery.

PostgreSQL on this machine is one cluster shared by everyone's tests, so it is never
stopped here: the hub reaches its database through the TCP proxy of
``tests/support/tcpproxy.py``, and the proxy plays the outage. ``down`` resets every
connection and refuses new ones (what a stopped server looks like to the client);
``blackhole`` keeps connections open and drops every byte (a dead host or a cut cable,
no RST: only timeouts can notice). The hub process is never restarted: it must answer
503 within a bounded time while the database is gone and serve again once it is back,
and every message it answered 2xx for, before or after, must still arrive exactly once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from jepsen_model import (
    RECIPIENTS,
    SENDERS,
    Attempt,
    Endpoint,
    History,
    assert_exactly_once,
    asyncpg_dsn,
    bearer,
    burst,
    metadata,
    provisioned_home,
)
from support.hubproc import HubProcess
from support.rabbit import broker_queues
from support.tcpproxy import TcpProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BEFORE = 200  # planned for the burst the outage interrupts (it stops at the outage)
FAULT_AFTER = 60  # 2xx answers before the outage begins
AFTER = 40  # submissions once the database is back
OUTAGE_SECONDS = 12.0  # longer than the bus's whole retry budget (0.5+1+2+4 s)
#: "Not a hang": every request gets its answer this fast. A silent database (blackhole)
#: is noticed only by timeouts; one store operation of a request is bounded as a whole by
#: ``[database] request_seconds`` (15 s by default, ``gateway.store.deadline``), however
#: many of the database's own timeouts it meets. Twice that, for a loaded CI machine;
#: without the bound, requests waited 30-45 s.
ANSWER_WITHIN = 30.0


@pytest.fixture
async def pg_proxy() -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the shared PostgreSQL."""
    proxy = TcpProxy("127.0.0.1", 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


def through(proxy: TcpProxy, url: str) -> str:
    """``url`` with the PostgreSQL port replaced by the proxy's."""
    assert ":5432/" in url, url
    return url.replace(":5432/", f":{proxy.port}/", 1)


async def probe(http: aiohttp.ClientSession, method: str, url: str, **kw: object) -> None:
    """One request during the outage: 503 ``store.unavailable`` within ``ANSWER_WITHIN``."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(ANSWER_WITHIN):
            async with http.request(method, url, **kw) as resp:  # type: ignore[arg-type]
                status, body = resp.status, await resp.text()
    except TimeoutError:
        pytest.fail(f"{method} {url} hung for more than {ANSWER_WITHIN}s")
    took = time.monotonic() - started
    assert status == 503, f"{method} {url}: {status} {body[:300]}"
    assert json.loads(body)["error"]["code"] == "store.unavailable", body
    assert took < ANSWER_WITHIN


async def submit_until_accepted(
    http: aiohttp.ClientSession,
    hub: HubProcess,
    token: str,
    attempt: Attempt,
    *,
    history: History,
    within: float,
) -> float:
    """Retry one submission (a new subject each time, 503s kept as unknown) until 202."""
    started = time.monotonic()
    n = 0
    while time.monotonic() - started < within:
        n += 1
        trial = Attempt(f"{attempt.subject}-r{n}", attempt.sender, attempt.recipient)
        async with http.post(
            f"{hub.url}/api/v1/messages", data=metadata(trial), headers=bearer(token)
        ) as resp:
            if resp.status == 202:
                attempt.subject = trial.subject
                attempt.outcome, attempt.message_id = "ok", (await resp.json())["id"]
                return time.monotonic() - started
            assert resp.status == 503, await resp.text()
            trial.outcome = "unknown"
            history.attempts.append(trial)
        await asyncio.sleep(0.5)
    pytest.fail(f"the hub did not recover within {within}s of the database coming back")


#: Documents a relay has taken (being published, or published) that no mailbox has yet:
#: cut now, and they meet the outage on the bus, in a consumer.
ON_THE_BUS = """
SELECT (SELECT count(*) FROM outbox WHERE topic = 'documents' AND claimed_by IS NOT NULL)
     - (SELECT count(*) FROM mailbox_items WHERE kind = 'document')
"""


class Outage:
    """Start the fault once ``FAULT_AFTER`` submissions were accepted, at a moment when
    documents are on the bus but not yet in a mailbox (so consumers meet the outage)."""

    def __init__(self, proxy: TcpProxy, fault: str, direct_dsn: str) -> None:
        self.proxy, self.fault, self.dsn = proxy, fault, direct_dsn
        self.armed, self.begun = asyncio.Event(), asyncio.Event()
        self.started = 0.0
        self.caught_on_the_bus = 0

    def on_accepted(self, accepted: int) -> None:
        if accepted == FAULT_AFTER:
            self.armed.set()

    async def run(self) -> None:
        await self.armed.wait()
        conn = await asyncpg.connect(self.dsn)  # direct, not through the proxy
        try:
            deadline = time.monotonic() + 10.0
            while time.monotonic() < deadline and self.caught_on_the_bus <= 0:
                self.caught_on_the_bus = int(await conn.fetchval(ON_THE_BUS))
        finally:
            await conn.close()
        getattr(self.proxy, self.fault)()
        self.started = time.monotonic()
        self.begun.set()

    def elapsed(self) -> float:
        return time.monotonic() - self.started


@pytest.mark.parametrize("fault", ["down", "blackhole"])
async def test_database_outage_answers_503_and_recovers_without_restart(
    tmp_path: Path, pg_url: str, amqp_url: str, pg_proxy: TcpProxy, fault: str
) -> None:
    """Database gone mid-burst: 503 store.unavailable (no hang), then serving again, no loss."""
    # in a thread: the CLI talks to the database through the proxy, which runs in this loop
    home = await asyncio.to_thread(
        provisioned_home, tmp_path / "home", through(pg_proxy, pg_url), amqp_url
    )
    hub = home.process()
    history = History()
    history.plan(BEFORE + AFTER, f"pg-{fault}")
    interrupted, later = History(history.attempts[:BEFORE]), history.attempts[BEFORE:]
    outage = Outage(pg_proxy, fault, asyncpg_dsn(pg_url))
    try:
        await hub.start()
        cutter = asyncio.create_task(outage.run())
        await burst(
            interrupted,
            [hub.url],
            home.tokens,
            on_accepted=outage.on_accepted,
            stop=outage.begun,
            answer_within=ANSWER_WITHIN,
        )
        await cutter
        answers = {a.detail[:3] for a in interrupted.with_outcome("unknown")}
        assert answers <= {"503"}, f"requests caught by the outage must get 503: {answers}"
        async with aiohttp.ClientSession() as http:
            token, inbox = home.tokens[SENDERS[0]], home.tokens[RECIPIENTS[0]]
            await asyncio.gather(
                probe(
                    http,
                    "POST",
                    f"{hub.url}/api/v1/messages",
                    data=metadata(later[0]),
                    headers=bearer(token),
                ),
                probe(http, "GET", f"{hub.url}/api/v1/mailbox?wait=0", headers=bearer(inbox)),
            )
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - outage.elapsed()))
            pg_proxy.resume()
            await submit_until_accepted(http, hub, token, later[0], history=history, within=20.0)
        await burst(History(later[1:]), [hub.url], home.tokens)
        assert hub.running and len(hub.pids) == 1, "the hub must recover without a restart"
        try:
            await Endpoint(history, home.tokens, [hub.url]).drain(asyncpg_dsn(pg_url), timeout=45.0)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nqueues: {broker_queues(amqp_url)}") from None
        verdict = assert_exactly_once(history, min_ok=FAULT_AFTER + AFTER)
        print("verdict", verdict, "on the bus at the cut", outage.caught_on_the_bus)
        # An outage is not a poison message: a document a consumer could not commit must
        # wait for the database, not go to the dead-letter queue (where it is lost to its
        # mailbox unless the outbox happens to publish it again).
        dead = broker_queues(amqp_url).get("lienthong.dead", 0)
        assert dead == 0, f"the database outage dead-lettered {dead} bus messages"
    finally:
        pg_proxy.resume()
        await hub.stop()
