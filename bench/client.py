"""The e2e load generator, run as its own process so it never shares the hub's event loop.

``python -m bench.client SPEC.pickle RESULT.json``. The spec holds the hub's base URL, a
token per unit, the pre-signed documents and the load: ``closed`` (``concurrency``
submitters back to back: the maximum rate) or ``rate`` (documents per second, open loop).

Every unit runs an endpoint: it long-polls its mailbox; a document is *delivered* when it
comes out of the recipient's mailbox, and the endpoint answers it at once with status 01
(received), which the hub signs and routes back; a receipt item is *at the sender* when it
comes out of the sender's mailbox (the endpoint acks the receipts of one poll in one call).
Times are this process's monotonic clock, so submit→delivered and submit→receipt need no
clock sync.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from bench.common import percentile
from bench.cpu import CpuLedger

T = TypeVar("T")


async def closed_loop(
    docs: Sequence[T], submit: Callable[[T], Awaitable[None]], concurrency: int
) -> None:
    """``concurrency`` submitters, each sending the next document as soon as its last one
    is answered (the maximum rate)."""
    queue = list(reversed(docs))

    async def worker() -> None:
        while queue:
            await submit(queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def open_loop(docs: Sequence[T], submit: Callable[[T], Awaitable[None]], rate: float) -> None:
    """One document every ``1/rate`` seconds, whatever the answers take (open loop)."""
    start = time.perf_counter()
    tasks = []
    for i, doc in enumerate(docs):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(submit(doc)))
    await asyncio.gather(*tasks)


class Load:
    """One load run's state and figures."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.base: str = spec["base"]
        self.tokens: dict[str, str] = spec["tokens"]
        self.docs: list[tuple[str, str, str, bytes]] = spec["docs"]
        self.mode: str = spec.get("mode", "closed")
        self.concurrency: int = int(spec.get("concurrency", 32))
        self.rate: float = float(spec.get("rate", 0))
        self.timeout: float = float(spec.get("timeout", 120))
        self.hub_pid: int = int(spec.get("hub_pid", 0))
        self.mids = {d[0] for d in self.docs}
        self.submitted: dict[str, float] = {}
        self.delivered: dict[str, float] = {}
        self.receipted: dict[str, float] = {}
        #: Documents of this run whose receipt has not reached its sender yet (counted down
        #: as they arrive: checking the whole set after every answer costs the client
        #: O(documents) each time, which shows up as latency in long runs).
        self.receipts_due = len(self.mids)
        self.errors: list[str] = []
        self.done = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None

    def _auth(self, unit: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[unit]}"}

    async def submit(self, doc: tuple[str, str, str, bytes]) -> None:
        mid, sender, _recipient, xml = doc
        assert self.session is not None
        headers = {**self._auth(sender), "Content-Type": "application/xml"}
        self.submitted[mid] = time.perf_counter()
        async with self.session.post(
            f"{self.base}/api/v1/messages", data=xml, headers=headers
        ) as resp:
            if resp.status != 202:
                self.errors.append(f"submit {resp.status}: {(await resp.text())[:200]}")

    async def closed_loop(self) -> None:
        await closed_loop(self.docs, self.submit, self.concurrency)

    async def open_loop(self) -> None:
        await open_loop(self.docs, self.submit, self.rate)

    async def endpoint(self, unit: str) -> None:
        assert self.session is not None
        url = f"{self.base}/api/v1/mailbox"
        while not self.done.is_set():
            params = {"wait": "1", "limit": "200"}
            async with self.session.get(url, params=params, headers=self._auth(unit)) as resp:
                if resp.status != 200:
                    self.errors.append(f"mailbox {resp.status}: {(await resp.text())[:200]}")
                    await asyncio.sleep(0.1)
                    continue
                items = (await resp.json())["items"]
            now = time.perf_counter()
            documents = [i for i in items if i["kind"] == "document"]
            receipts = [i for i in items if i["kind"] != "document"]
            answers = [self.answer(unit, item, now) for item in documents]
            if receipts:
                answers.append(self.ack_receipts(unit, receipts, now))
            await asyncio.gather(*answers)
            self._check_done()

    async def answer(self, unit: str, item: dict[str, Any], now: float) -> None:
        """A document out of the recipient's mailbox: delivered; status 01 (which acks it)."""
        assert self.session is not None
        mid = item["message_id"]
        self.delivered.setdefault(mid, now)
        url = f"{self.base}/api/v1/messages/{mid}/receipts"
        async with self.session.post(url, json={"status": "01"}, headers=self._auth(unit)) as resp:
            if resp.status != 201:
                self.errors.append(f"receipt {resp.status}: {(await resp.text())[:200]}")

    async def ack_receipts(self, unit: str, items: list[dict[str, Any]], now: float) -> None:
        """Receipts out of the sender's mailbox: at the sender; acked in one call, as an
        office system acks what one poll gave it (``POST /api/v1/mailbox/ack``)."""
        assert self.session is not None
        for item in items:
            mid = item["message_id"]
            if mid not in self.receipted and mid in self.mids:
                self.receipts_due -= 1
            self.receipted.setdefault(mid, now)
        url = f"{self.base}/api/v1/mailbox/ack"
        body = {"item_ids": [item["item_id"] for item in items]}
        async with self.session.post(url, json=body, headers=self._auth(unit)) as resp:
            if resp.status != 200:
                self.errors.append(f"ack {resp.status}: {(await resp.text())[:200]}")

    def _check_done(self) -> None:
        if self.receipts_due <= 0:
            self.done.set()

    async def run(self) -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            self.session = session
            endpoints = [asyncio.create_task(self.endpoint(u)) for u in self.tokens]
            with CpuLedger(self.hub_pid) as ledger:
                began = time.perf_counter()
                await (self.closed_loop() if self.mode == "closed" else self.open_loop())
                submitted_in = time.perf_counter() - began
                try:
                    await asyncio.wait_for(self.done.wait(), self.timeout)
                except TimeoutError:
                    self.errors.append("timeout: not every receipt reached its sender")
            self.done.set()
            await asyncio.gather(*endpoints, return_exceptions=True)
        figures = self.figures(began, submitted_in)
        figures["cpu_ms_per_doc"] = ledger.per_doc(len(self.mids))
        figures["hub_sleeps_per_doc"] = ledger.sleeps_per_doc(len(self.mids))
        return figures

    def figures(self, began: float, submitted_in: float) -> dict[str, Any]:
        mids = self.mids
        to_delivered = [
            (self.delivered[m] - self.submitted[m]) * 1000 for m in mids if m in self.delivered
        ]
        to_receipt = [
            (self.receipted[m] - self.submitted[m]) * 1000 for m in mids if m in self.receipted
        ]
        last = max((self.receipted[m] for m in mids if m in self.receipted), default=began)
        elapsed = max(last - began, 1e-9)
        return {
            "docs": len(mids),
            "delivered": len(to_delivered),
            "receipted": len(to_receipt),
            "elapsed_s": round(elapsed, 3),
            "submit_s": round(submitted_in, 3),
            "docs_per_s": round(len(to_receipt) / elapsed, 1),
            "delivered_p50_ms": round(percentile(to_delivered, 50), 1),
            "delivered_p99_ms": round(percentile(to_delivered, 99), 1),
            "receipt_p50_ms": round(percentile(to_receipt, 50), 1),
            "receipt_p99_ms": round(percentile(to_receipt, 99), 1),
            "errors": self.errors[:10],
            "error_count": len(self.errors),
        }


def main(argv: list[str]) -> int:
    """Read the spec, run the load, write the figures as JSON."""
    spec = pickle.loads(Path(argv[0]).read_bytes())
    result = asyncio.run(Load(spec).run())
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
