"""PDF signature benchmark: a 2 MiB PDF with two signatures, verified on arrival.

Usage: ``python -m bench.pdfsig [--mib M] [--seconds S] [--submits N] [--json]``

- ``verify``: :class:`gateway.pdfsig.check.PdfChecker` on one PDF of ``--mib`` MiB carrying
  a person's and an organisation's signature (pyHanko, made by a test CA that is the trust
  list), called in a loop on one core for ``--seconds``: verifications per second, the
  median time of one, and the CPU per verification (``time.process_time``).
- ``submit``: ``Hub.submit_document`` of that PDF (the hub seals the envelope) on the
  embedded stack (SQLite + local bus), ``--submits`` times with the PDF stage and as many
  without it (the same hub, the stage taken out): the median submission time of each and
  the difference, which is what checking the PDF adds to a submission.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gateway.config import load_config
from gateway.directory import Principal
from gateway.hub import Hub, UploadedFile
from gateway.pdfsig.check import PdfChecker
from gateway.pdfsig.trustlist import TrustList
from tests.support.pdfsign import minimal_pdf, pdf_ca, sign_pdf

SENDER, RECIPIENT = "000.00.01.H01", "000.00.02.H01"


def signed_pdf(mib: float) -> bytes:
    """A PDF of about ``mib`` MiB with two signatures (person, then organisation)."""
    ca = pdf_ca()
    pdf = minimal_pdf(pad=int(mib * 1024 * 1024))
    person = sign_pdf(pdf, ca.person(), ca, field="NguoiKy")
    return sign_pdf(person, ca.organisation(), ca, field="CoQuan")


def bench_verify(pdf: bytes, trust_dir: Path, seconds: float) -> dict[str, Any]:
    """Verifications per second of ``pdf`` on this core."""
    checker = PdfChecker(TrustList(trust_dir).anchors)
    assert checker(pdf, "b.pdf").status == "valid"
    times: list[float] = []
    cpu0, end = time.process_time(), time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        checker(pdf, "b.pdf")
        times.append(time.perf_counter() - t)
    cpu = time.process_time() - cpu0
    return {
        "pdf_bytes": len(pdf),
        "verifications": len(times),
        "per_second": round(len(times) / sum(times), 2),
        "median_ms": round(statistics.median(times) * 1000, 1),
        "cpu_ms_each": round(cpu / len(times) * 1000, 1),
    }


async def _submits(hub: Hub, file: UploadedFile, n: int) -> list[float]:
    times = []
    for i in range(n):
        t = time.perf_counter()
        await hub.submit_document(
            Principal(unit=SENDER), {"to": [RECIPIENT], "subject": f"Bench {i}"}, [file]
        )
        times.append(time.perf_counter() - t)
    return times


async def bench_submit(pdf: bytes, home: Path, n: int) -> dict[str, Any]:
    """Median submission time with and without the PDF stage."""
    hub = Hub(load_config(home, env={}))
    await hub.start()
    try:
        await hub.directory.add(SENDER, "Huyện A")
        await hub.directory.add(RECIPIENT, "Huyện B")
        ref = await hub.blobs.put_bytes(pdf)
        file = UploadedFile("quyet-dinh.pdf", "application/pdf", ref.sha256, ref.size)
        await _submits(hub, file, 3)  # warm: keys issued, caches filled
        with_pdf = await _submits(hub, file, n)
        stage = hub.flow.pdf
        hub.flow = dataclasses.replace(hub.flow, pdf=None)
        without = await _submits(hub, file, n)
        hub.flow = dataclasses.replace(hub.flow, pdf=stage)
    finally:
        await hub.stop()
    a, b = statistics.median(with_pdf), statistics.median(without)
    return {
        "submits": n,
        "median_ms_with_pdf_check": round(a * 1000, 1),
        "median_ms_without": round(b * 1000, 1),
        "added_ms": round((a - b) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both parts and print a table (or JSON)."""
    p = argparse.ArgumentParser(prog="python -m bench.pdfsig", description=__doc__)
    p.add_argument("--mib", type=float, default=2.0)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--submits", type=int, default=30)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    pdf = signed_pdf(args.mib)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        pdf_ca().write_trust_dir(home / "pdf-trust")
        result = {
            "verify": bench_verify(pdf, home / "pdf-trust", args.seconds),
            "submit": asyncio.run(bench_submit(pdf, home, args.submits)),
        }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for part, values in result.items():
            for key, value in values.items():
                print(f"{part:7} {key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
