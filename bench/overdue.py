"""Overdue benchmark: open deliveries re-evaluated by the escalation pass on PostgreSQL.

Usage: ``python -m bench.overdue [--deliveries N] [--overdue F] [--runs R] [--json]``

A fresh database is migrated to head, then ``--deliveries`` messages with one open
delivery each are loaded with ``COPY`` (two in three not yet answered, the rest
answered but not completed), each with due times from the hub's policy spread around
now so that a fraction ``--overdue`` is past its due time. Then, through
:class:`gateway.deadlines.escalation.Escalation` (what every hub process runs):

- ``first_pass``: the pass that finds them newly overdue: it claims each (an
  ``escalations`` row), puts a notice in the sender's mailbox and audits it;
- ``steady_pass``: the next passes (median of ``--runs``): every open delivery evaluated
  again, nothing new to tell: what a hub pays every ``check_seconds``;
- ``counts``: the ``lienthong_overdue_deliveries`` gauge's query.

For each: the hub's CPU (``time.process_time`` of this process, where the hub code runs)
and the wall time (which includes PostgreSQL's own work).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.common import pg_database
from gateway.config import DeadlinesConfig
from gateway.deadlines.escalation import Escalation, overdue_counts
from gateway.store.db import Database

SENDERS = 50
RECIPIENTS = 200


async def load(dsn: str, total: int, overdue: float, now: datetime) -> None:
    """COPY units, messages (with due times) and one open delivery per message."""
    conn = await asyncpg.connect(dsn)
    try:
        units = [("000.00.00.H99", "UBND tỉnh", None)]
        units += [(f"000.01.{i:02d}.H99", f"Sở {i}", "000.00.00.H99") for i in range(SENDERS)]
        units += [(f"000.02.{i:03d}.H99", f"Xã {i}", "000.00.00.H99") for i in range(RECIPIENTS)]
        await conn.copy_records_to_table(
            "units",
            records=[(c, n, n.lower(), p, now) for c, n, p in units],
            columns=["code", "name", "name_key", "parent_code", "created_at"],
        )
        late_every = max(1, round(1 / overdue)) if overdue > 0 else 0
        msgs, deliveries = [], []
        for i in range(total):
            mid = str(uuid.UUID(int=i + 1))
            sender = units[1 + i % SENDERS][0]
            late = late_every and i % late_every == 0
            due = now - timedelta(hours=1) if late else now + timedelta(days=1 + i % 9)
            at = now - timedelta(days=2)
            msgs.append(
                (mid, sender, f"Công văn {i}", f"cong van {i}", "new", at, "0" * 64, b"<x/>",
                 sender, at, due, due + timedelta(days=5))
            )  # fmt: skip
            state = "queued" if i % 3 else "accepted"
            deliveries.append((mid, units[1 + SENDERS + i % RECIPIENTS][0], state, at))
        await conn.copy_records_to_table(
            "messages",
            records=msgs,
            columns=[
                "id", "sender", "subject", "subject_key", "kind", "created_at",
                "envelope_digest", "envelope_xml", "submitted_by", "accepted_at",
                "due_received_at", "due_completed_at",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "deliveries",
            records=deliveries,
            columns=["message_id", "recipient", "state", "updated_at"],
        )
        for name in ("messages", "deliveries", "units"):
            await conn.execute(f"VACUUM ANALYZE {name}")
    finally:
        await conn.close()


async def _timed(call: Any) -> tuple[float, float, Any]:
    cpu, wall = time.process_time(), time.perf_counter()
    result = await call()
    return time.process_time() - cpu, time.perf_counter() - wall, result


async def measure(total: int, overdue: float, runs: int) -> dict[str, Any]:
    """The whole benchmark on a fresh database."""
    now = datetime.now(UTC)
    async with pg_database() as url:
        db = Database(url)
        await db.upgrade()
        try:
            dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
            t0 = time.perf_counter()
            await load(dsn, total, overdue, now)
            result: dict[str, Any] = {"deliveries": total, "overdue_fraction": overdue}
            result["load_s"] = round(time.perf_counter() - t0, 1)
            escalation = Escalation(db, DeadlinesConfig(check_seconds=0), clock=lambda: now)
            cpu, wall, told = await _timed(escalation.run_once)
            result.update(first_pass_cpu_s=round(cpu, 2), first_pass_wall_s=round(wall, 2))
            result["first_pass_notices"] = len(told)
            cpus, walls = [], []
            for _ in range(runs):
                cpu, wall, again = await _timed(escalation.run_once)
                assert again == [], "a steady pass told something twice"
                cpus.append(cpu)
                walls.append(wall)
            result["steady_pass_cpu_s"] = round(statistics.median(cpus), 3)
            result["steady_pass_wall_s"] = round(statistics.median(walls), 3)

            async def counts() -> dict[str, int]:
                async with db.read() as session:
                    return await overdue_counts(session, now)

            cpu, wall, found = await _timed(counts)
            result.update(counts_cpu_s=round(cpu, 3), counts_wall_s=round(wall, 3), **found)
            return result
        finally:
            await db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run, print the numbers (a table, or JSON)."""
    p = argparse.ArgumentParser(prog="python -m bench.overdue", description=__doc__)
    p.add_argument("--deliveries", type=int, default=100_000)
    p.add_argument("--overdue", type=float, default=0.1, help="fraction past a due time")
    p.add_argument("--runs", type=int, default=5, help="steady passes (median)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = asyncio.run(measure(args.deliveries, args.overdue, args.runs))
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
