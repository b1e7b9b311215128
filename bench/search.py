"""Search benchmark: operator search over many messages on PostgreSQL.

Usage: ``python -m bench.search [--messages N] [--units U] [--runs R] [--json]``

A fresh database is migrated to head, then ``--messages`` message rows (one delivery
each, to one of ``--units`` units with Vietnamese names) are loaded with ``COPY``; the
subjects are drawn from Vietnamese document titles, their search keys folded in Python as
the hub does on write. The subject index is dropped during the load and built again
after it (as the migration builds it on an existing database; its time is reported).

Each query goes through :meth:`MessageStore.search` (the code the API and the console
run: the first page of 50, newest first, with the state counts), ``--runs`` times after
one warm-up; the median is reported. In the same run: the raw limit, a primary-key
lookup of one message row (``pk_lookup_ms``), and the same searches without the subject
index (``*_no_index_ms``), which is what the index buys.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import select

from bench.common import pg_database
from gateway.pipeline.states import RULES
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from gateway.store.models import MessageRow
from gateway.store.records import SearchFilters
from gateway.text import fold

KINDS = ("Kế hoạch", "Báo cáo", "Công văn", "Tờ trình", "Quyết định", "Thông báo", "Giấy mời")
TOPICS = (
    "phòng chống lụt bão", "tuyển dụng viên chức", "xây dựng nông thôn mới",
    "chuyển đổi số", "cải cách hành chính", "an toàn giao thông", "phòng cháy chữa cháy",
    "giải ngân vốn đầu tư công", "bầu cử đại biểu", "tiêm chủng mở rộng",
    "quản lý đất đai", "thu ngân sách nhà nước", "đường giao thông nông thôn",
    "hỗ trợ hộ nghèo", "kiểm tra công vụ", "sắp xếp đơn vị hành chính",
)  # fmt: skip
PLACES = ("Xín Cái", "Đồng Văn", "Mèo Vạc", "Yên Minh", "Quản Bạ", "Bắc Mê", "Hoàng Su Phì")
#: A phrase put in one subject in 20,000: the selective query.
RARE = "Lũng Cú"
#: The one unit named "Phố Bảng"; the name of every seventh other unit has "Xín Cái".
ONE_UNIT = "000.00.07.H99"
QUERIES = {
    "rare_word": SearchFilters(text="lung cu"),
    "common_phrase": SearchFilters(text="KẾ HOẠCH"),
    "phrase_no_diacritics": SearchFilters(text="chuyen doi so"),
    "no_match": SearchFilters(text="khong co van ban nay"),
    "one_unit_by_name_and_text": SearchFilters(unit="pho bang", text="bao cao"),
    "many_units_by_name_and_text": SearchFilters(unit="xin cai", text="bao cao"),
    "one_unit_by_code": SearchFilters(unit=ONE_UNIT),
}


def subjects(n: int, seed: int = 7) -> Iterator[str]:
    """``n`` Vietnamese subjects, reproducible."""
    rnd = random.Random(seed)
    for i in range(n):
        extra = f" tại {RARE}" if i % 20_000 == 0 else ""
        yield (
            f"{rnd.choice(KINDS)} số {rnd.randint(1, 999)}/UBND-VP về {rnd.choice(TOPICS)}"
            f" xã {rnd.choice(PLACES)} năm {rnd.randint(2020, 2027)}{extra}"
        )


def unit_rows(count: int) -> list[tuple[str, str, str, datetime]]:
    """Province ``000.00.00.H99`` and ``count - 1`` communes named after PLACES."""
    now = datetime.now(UTC)
    rows = [("000.00.00.H99", "UBND tỉnh Hà Giang", fold("UBND tỉnh Hà Giang"), now)]
    for i in range(1, count):
        name = "UBND xã Phố Bảng" if i == 7 else f"UBND xã {PLACES[i % len(PLACES)]} {i}"
        rows.append((f"000.{i // 100:02d}.{i % 100:02d}.H99", name, fold(name), now))
    return rows


async def load(dsn: str, messages: int, units: int) -> dict[str, float]:
    """COPY the units, messages and deliveries; rebuild the subject index; timings."""
    conn = await asyncpg.connect(dsn)
    try:
        codes = [r[0] for r in unit_rows(units)]
        await conn.copy_records_to_table(
            "units",
            records=[(c, n, k, None, at) for c, n, k, at in unit_rows(units)],
            columns=["code", "name", "name_key", "parent_code", "created_at"],
        )
        index_sql = await conn.fetchval(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_messages_subject_key'"
        )
        await conn.execute("DROP INDEX ix_messages_subject_key")
        t0 = time.perf_counter()
        await _copy_messages(conn, messages, codes)
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        await conn.execute(index_sql)
        indexed = time.perf_counter() - t0
        await conn.execute("VACUUM ANALYZE messages")
        await conn.execute("VACUUM ANALYZE deliveries")
        await conn.execute("VACUUM ANALYZE units")
        return {"load_s": round(loaded, 1), "index_build_s": round(indexed, 1)}
    finally:
        await conn.close()


async def _copy_messages(conn: asyncpg.Connection, total: int, codes: list[str]) -> None:
    base = datetime(2020, 1, 1, tzinfo=UTC)
    batch = 50_000
    texts = subjects(total)
    for start in range(0, total, batch):
        msgs, deliveries = [], []
        for i in range(start, min(start + batch, total)):
            mid = str(uuid.UUID(int=i + 1))
            subject = next(texts)
            at = base + timedelta(minutes=3 * i)
            msgs.append(
                (mid, codes[0], subject, fold(subject), "new", at, "0" * 64, b"<x/>", codes[0], at)
            )
            deliveries.append((mid, codes[1 + i % (len(codes) - 1)], "delivered", at))
        await conn.copy_records_to_table(
            "messages",
            records=msgs,
            columns=[
                "id", "sender", "subject", "subject_key", "kind", "created_at",
                "envelope_digest", "envelope_xml", "submitted_by", "accepted_at",
            ],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "deliveries",
            records=deliveries,
            columns=["message_id", "recipient", "state", "updated_at"],
        )


async def timed(call: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    """Median milliseconds of ``runs`` calls after one warm-up, and the last result."""
    result = await call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2), result


async def pk_lookup(db: Database, message_id: str) -> Any:
    """The floor: one indexed row through the same session path as a search."""
    async with db.read() as session:
        query = select(MessageRow.id, MessageRow.subject).where(MessageRow.id == message_id)
        return (await session.execute(query)).first()


async def queries(store: MessageStore, runs: int, suffix: str = "") -> dict[str, Any]:
    """Median time and hit count of each query."""
    out: dict[str, Any] = {}
    for name, filters in QUERIES.items():
        ms, page = await timed(lambda f=filters: store.search(f, None, 50), runs)
        out[f"{name}{suffix}_ms"] = ms
        out[f"{name}_hits"] = len(page.items)
    return out


async def measure(messages: int, units: int, runs: int) -> dict[str, Any]:
    """The whole benchmark on a fresh database."""
    async with pg_database() as url:
        db = Database(url)
        await db.upgrade()
        dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
        try:
            result: dict[str, Any] = {"messages": messages, "units": units, "runs": runs}
            result.update(await load(dsn, messages, units))
            store = MessageStore(db, rules=RULES)
            one = str(uuid.UUID(int=messages // 2))
            result["pk_lookup_ms"], _ = await timed(lambda: pk_lookup(db, one), runs)
            result.update(await queries(store, runs))
            conn = await asyncpg.connect(dsn)
            try:
                await conn.execute("DROP INDEX ix_messages_subject_key")
            finally:
                await conn.close()
            result.update(await queries(store, max(3, runs // 3), "_no_index"))
            return result
        finally:
            await db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run, print the numbers (a table, or JSON)."""
    p = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    p.add_argument("--messages", type=int, default=1_000_000)
    p.add_argument("--units", type=int, default=200)
    p.add_argument("--runs", type=int, default=15, help="timed runs per query (median)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    result = asyncio.run(measure(args.messages, args.units, args.runs))
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
