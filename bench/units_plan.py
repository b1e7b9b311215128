"""Restructuring-plan benchmark: applying the An Giang-shaped plan to the demo directory.

Usage: ``python -m bench.units_plan [--db sqlite|postgresql] [--runs R] [--tokens] [--json]``

Each run starts from a fresh, migrated database holding the demo directory (a province
office, 11 districts, 152 communes, their groups and, with ``--tokens``, a token per unit),
then times :func:`gateway.directory.plan.apply_plan` on the plan of
:mod:`gateway.cli.demo_restructure` (163 rows: 99 moves, 53 merges, 11 retirements): the
whole act, checks, audit entries and the one commit included. A dry run of the same plan
is timed first. The median over ``--runs`` is reported; the issue's bound is 5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.common import pg_database
from gateway.cli.demo import _units_csv
from gateway.cli.demo_data import build_province
from gateway.cli.demo_restructure import restructuring_plan
from gateway.directory import Directory
from gateway.directory.plan import apply_plan
from gateway.store.db import Database


@contextlib.asynccontextmanager
async def _database(kind: str) -> AsyncIterator[Database]:
    if kind == "postgresql":
        async with pg_database() as url:
            db = Database(url)
            await db.upgrade()
            try:
                yield db
            finally:
                await db.dispose()
        return
    with tempfile.TemporaryDirectory(prefix="lienthong-bench-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.upgrade()
        try:
            yield db
        finally:
            await db.dispose()


async def one_run(kind: str, tokens: bool) -> tuple[float, float]:
    """(dry run seconds, apply seconds) on a fresh demo directory."""
    province = build_province()
    plan = restructuring_plan(province)
    async with _database(kind) as db:
        directory = Directory(db)
        await directory.import_csv(_units_csv(province))
        for group, district in province.district_groups.items():
            await directory.add_children_group(group, district)
        if tokens:
            for unit in province.units:
                await directory.create_token(unit.code)
        start = time.perf_counter()
        await apply_plan(db, plan, dry_run=True)
        dry = time.perf_counter() - start
        start = time.perf_counter()
        report = await apply_plan(db, plan)
        applied = time.perf_counter() - start
        assert report.applied
        return dry, applied


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tokens", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = [await one_run(args.db, args.tokens) for _ in range(args.runs)]
    result = {
        "db": args.db,
        "rows": 163,
        "runs": args.runs,
        "dry_run_s": round(statistics.median(r[0] for r in runs), 3),
        "apply_s": round(statistics.median(r[1] for r in runs), 3),
        "apply_max_s": round(max(r[1] for r in runs), 3),
        "bound_s": 5.0,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:12} {value}")


if __name__ == "__main__":
    asyncio.run(main())
