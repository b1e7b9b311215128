"""The real-mix load generator, its own process: ``python -m bench.mixclient SPEC OUT``.

Senders submit what office systems submit and let the hub seal the envelope: multipart
metadata + a file on ``/api/v1/messages`` (bearer units); edXML through ``/vxp`` with the
VXP SDK stand-in (``tests/standins/vxp_sdk.py``) and on ``/axis/v1`` with HMAC-signed
requests (axis units, half each way). Recipients (bearer units) work one item at a time:
take one mailbox item, fetch the document's file, answer 01, ack that item. Bearer senders
drain their receipts one ack per item; axis senders list their status messages and confirm
each (``updateStatus`` done; ``/axis/v1`` long-polls, the SDK polls).

A document is *fetchable* when it comes out of its recipient's mailbox; the rate is
documents from the first submit until every receipt is at its sender. Load: ``closed``
(``concurrency`` submitters back to back) or ``rate`` (documents/s, open loop).

A sender refused with 503 (``hub.overloaded``, the hub's admission control) waits the
``Retry-After`` seconds and sends the same document again, as an office system should.
Submit→fetchable is timed from the attempt the hub accepted; the time senders spent
waiting before that is reported apart (``first_try_fetchable_p99_ms``, ``overloaded``).
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from adapters.axis.signing import signed_headers
from bench.client import closed_loop, open_loop
from bench.common import percentile
from bench.cpu import CpuLedger
from tests.standins.vxp_sdk import KnobstickService

FILE = "cong-van.pdf"
#: Attempts per document before the client gives up on it (each 503 waits Retry-After).
_MAX_ATTEMPTS = 600


def _retry_after(headers: Any) -> float:
    """The seconds a 503 asks to wait (1 when it does not say)."""
    try:
        return max(float(headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0


class MixLoad:
    """One run: the documents of the spec, their times, the errors."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.base: str = spec["base"]
        self.tokens: dict[str, str] = spec["tokens"]  # bearer units (senders and recipients)
        self.systems: dict[str, tuple[str, str]] = spec["systems"]  # vxp unit -> (id, secret)
        #: (kind, sender, recipient, payload): kind "multipart" (payload: file bytes) or
        #: "vxp" (payload: the edXML file's path)
        self.docs: list[tuple[str, str, str, Any]] = spec["docs"]
        self.mode: str = spec.get("mode", "closed")
        self.concurrency = int(spec.get("concurrency", 32))
        self.rate = float(spec.get("rate", 0))
        self.timeout = float(spec.get("timeout", 120))
        self.hub_pid = int(spec.get("hub_pid", 0))
        self.submitted: dict[str, float] = {}
        #: message id → the time of its first attempt (before any 503)
        self.first_try: dict[str, float] = {}
        self.overloaded = 0
        self.fetchable: dict[str, float] = {}
        self.receipts = 0
        self.errors: list[str] = []
        self.done = asyncio.Event()
        self.session: aiohttp.ClientSession | None = None
        self.sdks: dict[str, KnobstickService] = {}
        #: the axis units on /axis/v1 (the others of ``systems`` use /vxp)
        self.native: set[str] = {d[1] for d in self.docs if d[0] == "axis"}

    def _auth(self, unit: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[unit]}"}

    def _signed(self, unit: str, method: str, path_qs: str, body: bytes = b"") -> dict[str, str]:
        system, secret = self.systems[unit]
        headers = signed_headers(system, secret, method, path_qs, body)
        return {**headers, "Content-Type": "application/xml"} if body else headers

    def _error(self, what: str) -> None:
        self.errors.append(what[:300])

    async def submit(self, doc: tuple[str, str, str, Any]) -> None:
        """One document: attempts until the hub accepts it (a 503 waits its Retry-After)."""
        first = time.perf_counter()
        for _ in range(_MAX_ATTEMPTS):
            began = time.perf_counter()
            answer = await self._attempt(doc)
            if isinstance(answer, str):
                self.submitted[answer] = began
                self.first_try[answer] = first
                return
            if answer is None:
                return  # refused otherwise: counted as an error
            self.overloaded += 1
            await asyncio.sleep(answer)
        self._error("still overloaded after every attempt")

    async def _attempt(self, doc: tuple[str, str, str, Any]) -> str | float | None:
        """One request: the message id, the seconds to wait after a 503, or None."""
        kind, sender, recipient, payload = doc
        assert self.session is not None
        if kind == "axis":
            body = payload
            async with self.session.post(
                f"{self.base}/axis/v1/edocs",
                data=body,
                headers=self._signed(sender, "POST", "/axis/v1/edocs", body),
            ) as resp:
                if resp.status == 503:
                    return _retry_after(resp.headers)
                if resp.status != 202:
                    self._error(f"axis send {resp.status}: {await resp.text()}")
                    return None
                return str((await resp.json())["docId"])
        if kind == "vxp":
            head = {"from": sender, "servicetype": "eDoc", "messagetype": "edoc"}
            head["to"] = [recipient]  # type: ignore[assignment]
            sent = await self.sdks[sender].send_edoc(json.dumps(head), Path(payload))
            if sent.http_status == 503:
                return 1.0  # the SDK does not hand its callers the headers
            if not sent.ok:
                self._error(f"vxp send {sent.http_status}: {sent.answer}")
                return None
            return str(sent.data)
        form = aiohttp.FormData()
        meta = {"to": [recipient], "subject": "Công văn thử tải"}
        form.add_field("metadata", json.dumps(meta), content_type="application/json")
        form.add_field("file", payload, filename=FILE, content_type="application/pdf")
        url = f"{self.base}/api/v1/messages"
        async with self.session.post(url, data=form, headers=self._auth(sender)) as resp:
            if resp.status == 503:
                return _retry_after(resp.headers)
            if resp.status != 202:
                self._error(f"submit {resp.status}: {await resp.text()}")
                return None
            return str((await resp.json())["id"])

    async def mailbox(self, unit: str) -> None:
        """A bearer unit's office loop: one item at a time, fetched, answered, acked."""
        assert self.session is not None
        url = f"{self.base}/api/v1/mailbox"
        while not self.done.is_set():
            params = {"wait": "1", "limit": "1"}
            async with self.session.get(url, params=params, headers=self._auth(unit)) as resp:
                if resp.status != 200:
                    self._error(f"mailbox {resp.status}: {await resp.text()}")
                    await asyncio.sleep(0.1)
                    continue
                items = (await resp.json())["items"]
            for item in items:
                if item["kind"] == "document":
                    await self.take_document(unit, item)
                else:
                    self.receipts += 1
                await self.ack(unit, item)
            self._check_done()

    async def take_document(self, unit: str, item: dict[str, Any]) -> None:
        """Fetchable now; the file downloaded, then status 01."""
        assert self.session is not None
        mid = str(item["message_id"])
        self.fetchable.setdefault(mid, time.perf_counter())
        base = f"{self.base}/api/v1/messages/{mid}"
        # every document of the mix carries one file of this name (multipart and edXML)
        async with self.session.get(f"{base}/attachments/{FILE}", headers=self._auth(unit)) as resp:
            await resp.read()
            if resp.status != 200:
                self._error(f"fetch {resp.status}")
        async with self.session.post(
            f"{base}/receipts", json={"status": "01"}, headers=self._auth(unit)
        ) as resp:
            if resp.status != 201:
                self._error(f"receipt {resp.status}: {await resp.text()}")

    async def ack(self, unit: str, item: dict[str, Any]) -> None:
        assert self.session is not None
        url = f"{self.base}/api/v1/mailbox/{item['item_id']}/ack"
        async with self.session.post(url, headers=self._auth(unit)) as resp:
            if resp.status not in (200, 204):
                self._error(f"ack {resp.status}: {await resp.text()}")

    async def vxp_statuses(self, unit: str) -> None:
        """A VXP sender's loop: list the status messages, confirm each one."""
        sdk = self.sdks[unit]
        while not self.done.is_set():
            listed = await sdk.get_received_edoc_list(
                json.dumps({"servicetype": "eDoc", "messagetype": "status"})
            )
            if not listed.ok:
                self._error(f"vxp list {listed.http_status}: {listed.answer}")
            for row in listed.data or []:
                confirmed = await sdk.update_status(
                    json.dumps({"status": "done", "docId": row["docId"]})
                )
                if confirmed.ok:
                    self.receipts += 1
            self._check_done()
            if not listed.data:  # an office system's SDK polls; it cannot long-poll
                await asyncio.sleep(1.0)

    async def axis_statuses(self, unit: str) -> None:
        """An ``/axis/v1`` sender's loop: long-poll the status list, confirm each one."""
        assert self.session is not None
        path = "/axis/v1/edocs?messagetype=status&limit=100&wait=1"
        while not self.done.is_set():
            async with self.session.get(
                self.base + path, headers=self._signed(unit, "GET", path)
            ) as resp:
                if resp.status != 200:
                    self._error(f"axis list {resp.status}: {await resp.text()}")
                    await asyncio.sleep(0.5)
                    continue
                items = (await resp.json())["items"]
            for item in items:
                confirm = f"/axis/v1/edocs/{item['docId']}/status"
                body = b'{"status": "done"}'
                headers = {**self._signed(unit, "POST", confirm, body)}
                headers["Content-Type"] = "application/json"
                async with self.session.post(self.base + confirm, data=body, headers=headers) as r:
                    if r.status == 200:
                        self.receipts += 1
                    else:
                        self._error(f"axis confirm {r.status}: {await r.text()}")
            self._check_done()

    def _check_done(self) -> None:
        if self.receipts >= len(self.docs):
            self.done.set()

    async def run(self) -> dict[str, Any]:
        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=60)
        self.sdks = {
            unit: KnobstickService(f"{self.base}/vxp", system, secret)
            for unit, (system, secret) in self.systems.items()
            if unit not in self.native
        }
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
                self.session = session
                loops = [asyncio.create_task(self.mailbox(u)) for u in self.tokens]
                loops += [asyncio.create_task(self.vxp_statuses(u)) for u in self.sdks]
                loops += [asyncio.create_task(self.axis_statuses(u)) for u in self.native]
                with CpuLedger(self.hub_pid) as ledger:
                    began = time.perf_counter()
                    if self.mode == "closed":
                        await closed_loop(self.docs, self.submit, self.concurrency)
                    else:
                        await open_loop(self.docs, self.submit, self.rate)
                    submit_s = time.perf_counter() - began
                    try:
                        await asyncio.wait_for(self.done.wait(), self.timeout)
                    except TimeoutError:
                        self._error("timeout: not every receipt reached its sender")
                    ended = time.perf_counter()
                self.done.set()
                await asyncio.gather(*loops, return_exceptions=True)
        finally:
            for sdk in self.sdks.values():
                await sdk.close()
        waits = [
            (self.fetchable[m] - t) * 1000 for m, t in self.submitted.items() if m in self.fetchable
        ]
        whole = [
            (self.fetchable[m] - t) * 1000 for m, t in self.first_try.items() if m in self.fetchable
        ]
        elapsed = max(ended - began, 1e-9)
        return {
            "docs": len(self.docs),
            "submitted": len(self.submitted),
            "fetched": len(waits),
            "receipts": self.receipts,
            "elapsed_s": round(elapsed, 3),
            "submit_s": round(submit_s, 3),
            "docs_per_s": round(min(self.receipts, len(self.docs)) / elapsed, 1),
            "fetchable_p50_ms": round(percentile(waits, 50), 1),
            "fetchable_p99_ms": round(percentile(waits, 99), 1),
            "first_try_fetchable_p99_ms": round(percentile(whole, 99), 1),
            "overloaded": self.overloaded,
            "errors": self.errors[:10],
            "error_count": len(self.errors),
            "cpu_ms_per_doc": ledger.per_doc(len(self.docs)),
        }


def main(argv: list[str]) -> int:
    """Read the spec, run the load, write the figures as JSON."""
    spec = pickle.loads(Path(argv[0]).read_bytes())
    result = asyncio.run(MixLoad(spec).run())
    Path(argv[1]).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
