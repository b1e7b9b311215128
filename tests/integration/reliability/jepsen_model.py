"""The Jepsen-style check of the reliability tests: clients, a history, and its verdict.

Every submission gets a unique subject, so even a submission whose answer was lost (the
hub died, the connection broke) can be recognised if it arrives. Outcomes:

- ``ok``: the hub answered 2xx — it must be delivered exactly once;
- ``unknown``: the request may have reached the hub (connection lost after it was sent,
  timeout, 5xx) — it may arrive or not, but never twice ("recovered" if it arrives);
- a connection that was never established is *not sent*; the client tries again.

The endpoint side is an honest endpoint: it fetches its mailbox, posts status 01 for each
new document (which takes it off the list), acks anything it has seen, and counts
everything by message id, item id and receipt id.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from support.hubproc import HubHome

SENDERS = ("000.00.01.H01", "000.00.02.H01")
RECIPIENTS = ("000.00.03.H01", "000.00.04.H01")
UNITS = {code: f"Đơn vị {code}" for code in SENDERS + RECIPIENTS}
DOCUMENT = b"Noi dung van ban thu nghiem. " * 353  # ~10 KB


def provisioned_home(root: Path, database_url: str, bus_url: str) -> HubHome:
    """A home with :data:`UNITS` in its directory, their keys and tokens (by the CLI)."""
    home = HubHome(root, database_url=database_url, bus_url=bus_url)
    home.provision(UNITS)
    return home


@dataclass
class Attempt:
    """One planned submission and what the hub said about it."""

    subject: str
    sender: str
    recipient: str
    outcome: str = "pending"  # ok | unknown | refused
    message_id: str | None = None
    detail: str = ""


@dataclass
class History:
    """Everything the clients did and saw."""

    attempts: list[Attempt] = field(default_factory=list)
    # endpoint side: (recipient, subject) -> item ids; message id per subject
    document_items: dict[tuple[str, str], set[int]] = field(
        default_factory=lambda: defaultdict(set)
    )
    delivered_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    receipts_posted: dict[str, str] = field(default_factory=dict)  # message id -> receipt id
    receipt_items: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def plan(self, count: int, tag: str) -> None:
        """``count`` submissions spread over the senders and recipients."""
        for i in range(count):
            sender, recipient = SENDERS[i % 2], RECIPIENTS[(i // 2) % 2]
            self.attempts.append(Attempt(f"{tag}-{i:05d}", sender, recipient))

    def with_outcome(self, outcome: str) -> list[Attempt]:
        """Attempts that ended with ``outcome``."""
        return [a for a in self.attempts if a.outcome == outcome]


def metadata(attempt: Attempt) -> aiohttp.FormData:
    """The multipart body of one submission (metadata JSON + a ~10 KB file)."""
    form = aiohttp.FormData()
    meta = {"to": [attempt.recipient], "subject": attempt.subject}
    form.add_field("metadata", json.dumps(meta), content_type="application/json")
    form.add_field("file", DOCUMENT, filename="van-ban.txt", content_type="text/plain")
    return form


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


async def submit_one(http: aiohttp.ClientSession, url: str, token: str, attempt: Attempt) -> bool:
    """Submit once; False when the connection was never made (not sent: try again)."""
    try:
        async with http.post(
            f"{url}/api/v1/messages", data=metadata(attempt), headers=bearer(token)
        ) as resp:
            body = await resp.text()
            if resp.status == 202:
                attempt.outcome, attempt.message_id = "ok", json.loads(body)["id"]
            elif resp.status >= 500:
                attempt.outcome, attempt.detail = "unknown", f"{resp.status} {body[:200]}"
            else:
                attempt.outcome, attempt.detail = "refused", f"{resp.status} {body[:200]}"
    except aiohttp.ClientConnectorError:
        return False
    except (aiohttp.ClientError, TimeoutError) as exc:
        attempt.outcome, attempt.detail = "unknown", type(exc).__name__
    return True


async def burst(
    history: History,
    urls: Sequence[str],
    tokens: dict[str, str],
    *,
    parallel: int = 20,
    on_accepted: Callable[[int], None] = lambda n: None,
    give_up_after: float = 90.0,
    stop: asyncio.Event | None = None,
    answer_within: float = 30.0,
) -> None:
    """Submit every planned attempt with ``parallel`` clients (round-robin over ``urls``);
    once ``stop`` is set no new attempt starts (the rest stay ``pending``: never sent). A
    request with no answer within ``answer_within`` seconds is ``unknown`` (``TimeoutError``)."""
    queue: asyncio.Queue[Attempt] = asyncio.Queue()
    for attempt in history.attempts:
        queue.put_nowait(attempt)
    accepted = 0
    timeout = aiohttp.ClientTimeout(total=answer_within)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up_after

    async def client(n: int, http: aiohttp.ClientSession) -> None:
        nonlocal accepted
        while not queue.empty() and not (stop is not None and stop.is_set()):
            attempt = queue.get_nowait()
            url = urls[n % len(urls)]
            while not await submit_one(http, url, tokens[attempt.sender], attempt):
                if loop.time() > deadline:
                    attempt.outcome, attempt.detail = "refused", "never connected"
                    break
                await asyncio.sleep(0.2)  # the hub is down: not sent, try the same again
            if attempt.outcome == "ok":
                accepted += 1
                on_accepted(accepted)
            elif attempt.outcome == "unknown":
                await asyncio.sleep(0.1)

    async with aiohttp.ClientSession(timeout=timeout) as http:
        await asyncio.gather(*(client(n, http) for n in range(parallel)))


class Endpoint:
    """An endpoint system that drains mailboxes honestly and counts what it saw."""

    def __init__(self, history: History, tokens: dict[str, str], urls: Sequence[str]) -> None:
        self.history = history
        self.tokens = tokens
        self.urls = list(urls)
        self._turn = 0
        self._slots = asyncio.Semaphore(10)

    def _url(self) -> str:
        self._turn += 1
        return self.urls[self._turn % len(self.urls)]

    async def poll(self, http: aiohttp.ClientSession, unit: str) -> int:
        """Fetch ``unit``'s mailbox once and handle every item; how many items there were."""
        token = self.tokens[unit]
        async with http.get(
            f"{self._url()}/api/v1/mailbox?wait=0.5&limit=500", headers=bearer(token)
        ) as resp:
            assert resp.status == 200, await resp.text()
            items: list[dict[str, Any]] = (await resp.json())["items"]
        await asyncio.gather(*(self._handle(http, unit, item) for item in items))
        return len(items)

    async def _handle(self, http: aiohttp.ClientSession, unit: str, item: dict[str, Any]) -> None:
        async with self._slots:
            if item["kind"] == "document":
                await self._document(http, unit, item)
            else:
                self.history.receipt_items[item["message_id"]].add(str(item["receipt_id"]))
            await self._ack(http, unit, item["item_id"])

    async def _document(self, http: aiohttp.ClientSession, unit: str, item: dict[str, Any]) -> None:
        message_id, subject = str(item["message_id"]), str(item["subject"])
        self.history.document_items[(unit, subject)].add(int(item["item_id"]))
        self.history.delivered_ids[subject].add(message_id)
        if message_id in self.history.receipts_posted:
            return  # seen before: the endpoint dedupes by message id, it only acks again
        async with http.post(
            f"{self._url()}/api/v1/messages/{message_id}/receipts",
            json={"status": "01"},
            headers=bearer(self.tokens[unit]),
        ) as resp:
            assert resp.status in (200, 201), await resp.text()
            self.history.receipts_posted[message_id] = (await resp.json())["receipt_id"]

    async def _ack(self, http: aiohttp.ClientSession, unit: str, item_id: int) -> None:
        async with http.post(
            f"{self._url()}/api/v1/mailbox/{item_id}/ack", headers=bearer(self.tokens[unit])
        ) as resp:
            assert resp.status in (200, 204), await resp.text()

    async def drain(self, pg_dsn: str, *, timeout: float = 90.0) -> None:
        """Poll every mailbox until all 2xx documents and their receipts are in, the outbox
        is empty and a last full round finds nothing new."""
        expected = {a.subject for a in self.history.with_outcome("ok")}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            while loop.time() < deadline:
                seen = 0
                for unit in RECIPIENTS + SENDERS:
                    seen += await self.poll(http, unit)
                delivered = expected <= set(self.history.delivered_ids)
                receipts = set(self.history.receipts_posted) <= set(self.history.receipt_items)
                if not seen and delivered and receipts and await outbox_backlog(pg_dsn) == 0:
                    return
        raise AssertionError(f"not drained within {timeout}s: {verdict(self.history)}")


def asyncpg_dsn(sqlalchemy_url: str) -> str:
    """``postgresql+asyncpg://…`` → a DSN asyncpg accepts."""
    return sqlalchemy_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def outbox_backlog(pg_dsn: str) -> int:
    """Outbox rows not yet confirmed by the bus."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await conn.close()


async def relay_workers(pg_dsn: str) -> Counter[str]:
    """Published outbox rows per relay worker (``host:pid:tag``)."""
    conn = await asyncpg.connect(pg_dsn)
    try:
        rows = await conn.fetch(
            "SELECT claimed_by, count(*) AS n FROM outbox"
            " WHERE published_at IS NOT NULL GROUP BY claimed_by"
        )
    finally:
        await conn.close()
    return Counter({str(r["claimed_by"]): int(r["n"]) for r in rows})


def verdict(history: History) -> dict[str, Any]:
    """Lost, duplicated, recovered and the receipt anomalies, with a few examples each."""
    ok = {a.subject: a for a in history.with_outcome("ok")}
    unknown = {a.subject for a in history.with_outcome("unknown")}
    lost = sorted(s for s in ok if s not in history.delivered_ids)
    dup_items = sorted(f"{k[1]}@{k[0]}" for k, v in history.document_items.items() if len(v) > 1)
    dup_ids = sorted(s for s, ids in history.delivered_ids.items() if len(ids) > 1)
    wrong_id = sorted(
        s
        for s, a in ok.items()
        if s in history.delivered_ids and history.delivered_ids[s] != {a.message_id}
    )
    stray = sorted(s for s in history.delivered_ids if s not in ok and s not in unknown)
    dup_receipts = sorted(m for m, ids in history.receipt_items.items() if len(ids) > 1)
    missing_receipts = sorted(m for m in history.receipts_posted if m not in history.receipt_items)
    wrong_receipts = sorted(
        m
        for m, ids in history.receipt_items.items()
        if m in history.receipts_posted and ids != {history.receipts_posted[m]}
    )
    return {
        "ok": len(ok),
        "unknown": len(unknown),
        "refused": len(history.with_outcome("refused")),
        "recovered": len(unknown & set(history.delivered_ids)),
        "lost": lost[:5] + ([f"... {len(lost)}"] if len(lost) > 5 else []),
        "duplicated_items": dup_items[:5],
        "duplicated_ids": dup_ids[:5],
        "wrong_id": wrong_id[:5],
        "stray": stray[:5],
        "duplicated_receipts": dup_receipts[:5],
        "missing_receipts": missing_receipts[:5],
        "wrong_receipts": wrong_receipts[:5],
    }


def assert_exactly_once(history: History, *, min_ok: int) -> dict[str, Any]:
    """Lost = 0, duplicated = 0, receipts once each; at least ``min_ok`` 2xx answers."""
    v = verdict(history)
    bad = [
        k
        for k in (
            "lost",
            "duplicated_items",
            "duplicated_ids",
            "wrong_id",
            "stray",
            "duplicated_receipts",
            "missing_receipts",
            "wrong_receipts",
        )
        if v[k]
    ]
    assert not bad, f"anomalies {bad}: {v}"
    assert v["refused"] == 0, (
        f"refused submissions: {[a.detail for a in history.with_outcome('refused')][:3]}"
    )
    assert v["ok"] >= min_ok, v
    return v
