"""``python -m bench SCENARIO [--runs N] [--json] [--write-docs] [--size BYTES] [--quick]``.

Scenarios: raw, e2e, mix, fanout, large, directory, embedded, envelope, all. Each prints a
table (or one JSON object with ``--json``); ``--write-docs`` refreshes the generated
results section of ``docs/benchmarks.md``. ``--quick`` uses tiny sizes (the smoke test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.common import host_speed, machine
from gateway.logging import configure_logging

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ("raw", "e2e", "mix", "fanout", "large", "directory", "embedded", "envelope")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("scenario", choices=[*SCENARIOS, "all"])
    p.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    p.add_argument("--quick", action="store_true", help="tiny sizes: seconds, not minutes")
    p.add_argument("--docs", type=int, default=None, help="documents per e2e/embedded run")
    p.add_argument("--units", type=int, default=None, help="units in e2e/embedded")
    p.add_argument("--concurrency", type=int, default=None, help="e2e submitters")
    p.add_argument(
        "--profile", action="store_true", help="e2e/embedded: py-spy the hub, print its hot spots"
    )
    p.add_argument("--workers", type=int, default=1, help="e2e: hub processes (serve --workers)")
    p.add_argument(
        "--trace-lane",
        action="store_true",
        help="e2e/embedded: trace the hub's write-lane turns (statements, round trips)",
    )
    p.add_argument(
        "--signing-threads",
        type=int,
        default=0,
        help="e2e/embedded: [hub] signing_threads (default 0)",
    )
    p.add_argument(
        "--half-rate",
        type=float,
        default=None,
        help="e2e/embedded: documents/s of the half-load runs (default: half the full rate)",
    )
    p.add_argument(
        "--max-backlog",
        type=int,
        default=None,
        help="mix: the hub's [hub] max_backlog (admission control; default: the hub's)",
    )
    p.add_argument(
        "--target-wait",
        type=float,
        default=None,
        help="mix: the hub's [hub] target_wait_seconds (the backlog bound follows the pace)",
    )
    p.add_argument("--size", type=int, default=None, help="large: attachment bytes")
    p.add_argument("--communes", type=int, default=None, help="fanout: recipients")
    p.add_argument(
        "--directory-sizes", default=None, help="directory: units per size, e.g. 164,500"
    )
    p.add_argument("--embedded-sizes", default=None, help="directory: units on the embedded stack")
    p.add_argument(
        "--sharded-sizes", default=None, help="directory: units on RabbitMQ with shared queues"
    )
    return p


def _sizes(text: str | None, default: list[int]) -> list[int]:
    return [int(x) for x in text.split(",")] if text else default


async def run(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """One scenario's result dict."""
    quick, runs = args.quick, args.runs
    if name in ("e2e", "embedded", "raw"):
        from bench import e2e

        docs = args.docs or (40 if quick else 600)
        units = args.units or (4 if quick else 20)
        conc = args.concurrency or (8 if quick else 64)
        if name == "raw":
            return await _raw_only(docs, units)
        return await e2e.measure(
            name,
            runs=runs,
            docs=docs,
            units=units,
            concurrency=conc,
            profile=args.profile,
            workers=args.workers,
            signing_threads=args.signing_threads,
            trace_lane=args.trace_lane,
            half_rate=args.half_rate,
        )
    if name == "mix":
        from bench import mix

        return await mix.measure(
            runs=runs,
            docs=args.docs or (24 if quick else 600),
            units=args.units or (4 if quick else 20),
            concurrency=args.concurrency or (4 if quick else 32),
            profile=args.profile,
            max_backlog=args.max_backlog,
            target_wait=args.target_wait,
        )
    if name == "fanout":
        from bench import fanout

        return await fanout.measure(runs=runs, communes=args.communes or (8 if quick else 152))
    if name == "large":
        from bench import large

        size = args.size or (8 * 1024 * 1024 if quick else 1024 * 1024 * 1024)
        return await large.measure(size=size, runs=1 if size >= 512 * 1024 * 1024 else runs)
    if name == "directory":
        from bench import directory

        rabbit = _sizes(args.directory_sizes, [5, 20] if quick else [164, 250])
        embedded = _sizes(args.embedded_sizes, [20] if quick else [164, 10_000])
        sharded = _sizes(args.sharded_sizes, [20] if quick else [164, 10_000])
        return await directory.measure(
            rabbit_sizes=rabbit, embedded_sizes=embedded, sharded_sizes=sharded
        )
    if name == "envelope":
        return _envelope(runs, 0.2 if quick else 1.0)
    raise ValueError(name)


def _envelope(runs: int, seconds: float) -> dict[str, Any]:
    """bench/envelope.py in its own process (it pins itself to one CPU)."""
    cmd = [sys.executable, "-m", "bench.envelope", "--json", "--runs", str(runs)]
    done = subprocess.run(
        [*cmd, "--seconds", str(seconds)], check=True, capture_output=True, text=True, cwd=REPO
    )
    result: dict[str, Any] = json.loads(done.stdout)
    result.update(result["rates"])
    for target in result["targets"].values():
        target.setdefault("value", None)
    return result


async def _raw_only(docs: int, units: int) -> dict[str, Any]:
    from bench import raw
    from bench.common import pg_database, temp_home
    from bench.e2e import pairs
    from bench.world import prepare, signed_documents, unit_codes, write_config

    with temp_home() as home:
        async with pg_database() as db_url:
            config = write_config(home, db_url, "local://", 0)
            codes = unit_codes(units)
            world = await prepare(config, codes, keys=codes)
            result = await raw.measure(signed_documents(world, pairs(codes, docs)), world)
    return {**result, "raw_docs_per_s": round(result["docs_per_s"], 1)}


def main(argv: list[str] | None = None) -> int:
    """Run the scenario(s), print, optionally write the docs."""
    args = _parser().parse_args(argv)
    configure_logging(level="WARNING")
    names = [s for s in SCENARIOS if s != "raw"] if args.scenario == "all" else [args.scenario]
    info = machine()
    info["rsa_sign_per_s_start"] = host_speed()
    results: dict[str, dict[str, Any]] = {}
    began = time.perf_counter()
    for name in names:
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        results[name] = asyncio.run(run(name, args))
        results[name]["wall_s"] = round(time.perf_counter() - t0, 1)
    total = round(time.perf_counter() - began, 1)
    info["rsa_sign_per_s_end"] = host_speed()
    if args.json:
        print(json.dumps({"machine": info, "wall_s": total, "results": results}, default=str))
    else:
        print(report.table(results))
        print(f"(wall time {total} s)")
    if args.write_docs:
        cmd = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
        path = report.write_docs(results, info, cmd)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
