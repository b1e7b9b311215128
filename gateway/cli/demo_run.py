"""The demo workload: who sends what to whom, the endpoints' behaviour, and the check.

Every unit that takes part runs one endpoint loop: it long-polls its mailbox, answers each
document with 01 → 03 → 04 → 05 → 06 (about one in ten with 01 → 02 rejected, decided
from the message id so the check can predict it), and records and acks every receipt
that comes back for what it sent. At the end every message's status is read back and
compared with what must have happened: nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.cli.demo_clients import DemoClient, File
from gateway.cli.demo_data import DemoProvince

__all__ = ["DemoResult", "DemoRun", "PlannedDoc", "expected_codes", "plan_documents"]

COMPLETE = ("01", "03", "04", "05", "06")
REJECT = ("01", "02")


@dataclass(frozen=True, slots=True)
class PlannedDoc:
    """One document of the demo: sender, addressees as written, units it must reach."""

    index: int
    sender: str
    to: tuple[str, ...]
    recipients: tuple[str, ...]
    pattern: str


def is_rejected(message_id: str, unit: str) -> bool:
    """About one delivery in ten is rejected (deterministic from ids)."""
    digest = hashlib.sha256(f"{message_id}/{unit}".encode()).digest()
    return digest[0] % 10 == 0


def expected_codes(message_id: str, unit: str) -> tuple[str, ...]:
    """The statuses a delivery must end up with."""
    return REJECT if is_rejected(message_id, unit) else COMPLETE


def plan_documents(province: DemoProvince, count: int, seed: int = 7) -> list[PlannedDoc]:
    """A mix: a few province-wide, some to a district's communes, the rest one-to-one."""
    rng = random.Random(seed)  # noqa: S311 (a demo mix, not a secret)
    wide = (1 if count >= 10 else 0) + count // 100
    district_wide = max(1, count // 10) if count >= 3 else 0
    docs: list[PlannedDoc] = []
    groups = list(province.district_groups.items())
    for _ in range(wide):
        members = tuple(c.code for c in province.communes)
        docs.append(
            PlannedDoc(0, province.province.code, (province.all_communes_group,), members, "all")
        )
    for _ in range(district_wide):
        group, district = rng.choice(groups)
        members = tuple(c.code for c in province.communes_of(district))
        docs.append(PlannedDoc(0, district, (group,), members, "district"))
    while len(docs) < count:
        docs.append(_one_to_one(province, rng))
    rng.shuffle(docs)
    return [PlannedDoc(i, d.sender, d.to, d.recipients, d.pattern) for i, d in enumerate(docs)]


def _one_to_one(province: DemoProvince, rng: random.Random) -> PlannedDoc:
    commune = rng.choice(province.communes)
    district = commune.parent or province.province.code
    pairs = [
        (province.province.code, district),
        (district, commune.code),
        (commune.code, district),
        (district, rng.choice(province.districts).code),
    ]
    sender, recipient = rng.choice(pairs)
    if sender == recipient:
        recipient = province.province.code
    return PlannedDoc(0, sender, (recipient,), (recipient,), "one-to-one")


@dataclass
class DemoResult:
    """What happened, and what the check found."""

    sent: int = 0
    deliveries: int = 0
    fetched: int = 0
    posted: Counter[str] = field(default_factory=Counter)
    receipts_back: int = 0
    duplicate_items: int = 0
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    wrong: int = 0
    elapsed: float = 0.0
    message_ids: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every delivery reached its final expected status exactly once."""
        return not self.errors and self.lost == 0 and self.wrong == 0 and self.duplicate_items == 0


class DemoRun:
    """Drive the planned documents through the hub and check the outcome."""

    def __init__(
        self,
        clients: dict[str, DemoClient],
        plan: list[PlannedDoc],
        *,
        on_progress: Callable[[str, int], None] = lambda _k, _n: None,
        send_concurrency: int = 8,
        writers: int = 4,
        timeout: float = 120.0,
    ) -> None:
        self.clients = clients
        self.plan = plan
        self.on_progress = on_progress
        self.timeout = timeout
        self.result = DemoResult(deliveries=sum(len(d.recipients) for d in plan))
        self._send_slots = asyncio.Semaphore(send_concurrency)
        # Endpoints answer a few at a time: an office answers at human pace, and SQLite
        # has one writer (contention only makes every writer sleep in its busy handler).
        self._write_slots = asyncio.Semaphore(writers)
        self._sending_done = asyncio.Event()
        self._expected_docs = Counter(u for d in plan for u in d.recipients)
        self._docs_seen: dict[str, set[str]] = {u: set() for u in clients}
        self._receipts_seen: dict[str, set[str]] = {u: set() for u in clients}
        self._expected_receipts: Counter[str] = Counter()

    @property
    def expected_receipts(self) -> int:
        """Receipts the senders must get back (known once every document is sent)."""
        return sum(self._expected_receipts.values())

    async def run(self) -> DemoResult:
        """Send, answer, collect, check; the result (``.ok`` says whether it passed)."""
        start = time.perf_counter()
        units = {d.sender for d in self.plan} | set(self._expected_docs)
        loops = [asyncio.create_task(self._endpoint(u)) for u in sorted(units)]
        try:
            async with asyncio.timeout(self.timeout):
                await self._send_all()
                await asyncio.gather(*loops)
        except TimeoutError:
            self.result.errors.append(f"timed out after {self.timeout:.0f} s")
        except Exception as exc:  # reported in the summary; the demo then fails
            self.result.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
        self.result.elapsed = time.perf_counter() - start
        await self._check()
        return self.result

    async def _send_all(self) -> None:
        await asyncio.gather(*(self._send(doc) for doc in self.plan))
        self._sending_done.set()

    async def _send(self, doc: PlannedDoc) -> None:
        metadata = {
            "to": list(doc.to),
            "subject": f"Công văn demo số {doc.index + 1} ({doc.pattern})",
            "number": str(doc.index + 1),
            "notation": f"{doc.index + 1}/UBND-VP",
            "doc_type": "Công văn",
            "urgency": "normal",
        }
        body = f"Nội dung công văn số {doc.index + 1} gửi {', '.join(doc.to)}\n".encode()
        files: list[File] = [(f"cong-van-{doc.index + 1}.txt", body, "text/plain")]
        async with self._send_slots:
            message_id = await self.clients[doc.sender].send(metadata, files)
        self.result.message_ids[doc.index] = message_id
        for unit in doc.recipients:
            self._expected_receipts[doc.sender] += len(expected_codes(message_id, unit))
        self.result.sent += 1
        self.on_progress("sent", 1)

    def _unit_done(self, unit: str) -> bool:
        docs_done = len(self._docs_seen[unit]) >= self._expected_docs[unit]
        receipts_done = len(self._receipts_seen[unit]) >= self._expected_receipts[unit]
        return self._sending_done.is_set() and docs_done and receipts_done

    async def _endpoint(self, unit: str) -> None:
        client = self.clients[unit]
        while not self._unit_done(unit):
            for item in await client.mailbox(wait=2.0, limit=100):
                if item["kind"] == "document":
                    await self._answer(client, item)
                else:
                    await self._collect(client, item)

    async def _answer(self, client: DemoClient, item: dict[str, Any]) -> None:
        unit, message_id = client.unit, str(item["message_id"])
        if message_id in self._docs_seen[unit]:
            self.result.duplicate_items += 1
            await client.ack(str(item["item_id"]))
            return
        self._docs_seen[unit].add(message_id)
        self.result.fetched += 1
        codes = expected_codes(message_id, unit)
        for code in codes:
            reason = "không thuộc thẩm quyền xử lý" if code == "02" else None
            async with self._write_slots:
                await client.post_status(message_id, code, reason)
            self.result.posted[code] += 1
        self.on_progress("answered", 1)

    async def _collect(self, client: DemoClient, item: dict[str, Any]) -> None:
        unit, receipt_id = client.unit, str(item.get("receipt_id") or item.get("ref"))
        if receipt_id in self._receipts_seen[unit]:
            self.result.duplicate_items += 1
        else:
            self._receipts_seen[unit].add(receipt_id)
            self.result.receipts_back += 1
            self.on_progress("receipts", 1)
        async with self._write_slots:
            await client.ack(str(item["item_id"]))

    async def _check(self) -> None:
        for doc in self.plan:
            message_id = self.result.message_ids.get(doc.index)
            if message_id is None:
                self.result.lost += len(doc.recipients)
                continue
            status = await self.clients[doc.sender].status(message_id)
            seen = {r["unit"]: r for r in status["recipients"]}
            for unit in doc.recipients:
                self._check_delivery(message_id, unit, seen.get(unit))

    def _check_delivery(self, message_id: str, unit: str, found: dict[str, Any] | None) -> None:
        want = expected_codes(message_id, unit)
        final = "rejected" if want == REJECT else "completed"
        if found is None or found["state"] != final:
            self.result.lost += 1
            return
        codes = tuple(r["status"] for r in found["receipts"])
        if codes != want:
            self.result.wrong += 1
