"""e2e (PostgreSQL + RabbitMQ) and embedded (SQLite + local bus): documents over HTTP.

A ``lienthong serve`` subprocess on a prepared home; ``units`` units each send and
receive. The load generator (:mod:`bench.client`) is another process. Per run:

1. ``runs`` closed-loop runs (``concurrency`` submitters): documents/s from the first
   submit to the last receipt at its sender, p50/p99 submit→delivered and
   submit→receipt-at-sender; each right after a run of the raw pipeline
   (:mod:`bench.raw`) over the same kind of documents, for the ratio (interleaved, so a
   host that speeds up or slows down during the scenario moves both alike);
2. ``runs`` open-loop runs at half the measured rate: p99 submit→delivered there.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from bench import raw
from bench.common import free_port, median, medians, pg_database, python, temp_home, vhost
from bench.hubproc import HubProcess
from bench.lanetrace import summary as lanetrace
from bench.profile import Profiler
from bench.world import World, prepare, signed_documents, unit_codes, write_config

REPO = Path(__file__).resolve().parent.parent
TARGETS = {
    "e2e": {"docs_per_s": 500.0, "ratio": 0.5, "half_load_delivered_p99_ms": 100.0},
    "embedded": {"docs_per_s": 800.0},
}


@contextlib.asynccontextmanager
async def stack(kind: str, home: Path) -> AsyncIterator[tuple[str, str]]:
    """(database URL, bus URL): PostgreSQL + RabbitMQ, or SQLite + the local bus."""
    if kind == "embedded":
        yield f"sqlite+aiosqlite:///{home / 'lienthong.db'}", "local://"
        return
    async with pg_database() as db_url:
        with vhost() as amqp_url:
            yield db_url, amqp_url


def pairs(units: Sequence[str], count: int, offset: int = 0) -> list[tuple[str, str]]:
    """``count`` (sender, recipient) pairs spread over every unit."""
    n = len(units)
    return [(units[(i + offset) % n], units[(i + offset + 1 + i // n) % n]) for i in range(count)]


def run_client(home: Path, spec: dict[str, Any]) -> dict[str, Any]:
    """Run :mod:`bench.client` as its own process with ``spec``; its figures."""
    spec_path, out_path = home / "client-spec.pickle", home / "client-result.json"
    spec_path.write_bytes(pickle.dumps(spec))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [python(), "-m", "bench.client", str(spec_path), str(out_path)],
        check=True,
        env=env,
        cwd=REPO,
        timeout=float(spec.get("timeout", 120)) + 120,
    )
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result


def _load(
    world: World, hub: HubProcess, docs: list[Any], profile: str = "", **load: Any
) -> dict[str, Any]:
    """One client run; with ``profile``, py-spy samples the hub meanwhile and the busiest
    functions come back under ``profile``."""
    tokens = {u: world.tokens[u] for u in world.units}
    spec = {"base": hub.base, "tokens": tokens, "docs": docs, "hub_pid": hub.pid, **load}
    began = time.monotonic()
    if profile:
        out = Path(tempfile.gettempdir()) / f"lienthong-bench-profile-{profile}.txt"
        with Profiler(hub.pid, out) as profiler:
            result = run_client(world.config.home, spec)
        result["profile"] = profiler.top(25)
    else:
        result = run_client(world.config.home, spec)
    result["window"] = (began, time.monotonic())
    result["hub_cpu_ms_per_doc"] = round(result["cpu_ms_per_doc"]["hub"], 2)
    return result


async def measure(
    kind: str,
    *,
    runs: int = 3,
    docs: int = 1500,
    units: int = 20,
    concurrency: int = 64,
    profile: bool = False,
    workers: int = 1,
    signing_threads: int = 0,
    trace_lane: bool = False,
    half_rate: float | None = None,
) -> dict[str, Any]:
    """Run the scenario; one JSON-able dict of medians and per-run figures (with
    ``trace_lane``, the write lane's turns during the first full and half load too;
    ``half_rate``: the half-load runs' rate instead of half the measured one, so that two
    variants are compared at the same offered load)."""
    with temp_home() as home:
        async with stack(kind, home) as (db_url, bus_url):
            port = free_port()
            config = write_config(home, db_url, bus_url, port)
            codes = unit_codes(units)
            world = await prepare(config, codes, tokens=codes, keys=codes)
            raw_batch = signed_documents(world, pairs(codes, docs))
            raw_runs: list[dict[str, Any]] = []

            async def raw_run() -> None:
                raw_runs.append(await raw.measure(raw_batch, world))

            # [hub] signing_threads, 0 by default: on this two-core machine threads paid
            # nowhere clearly (docs/benchmarks.md, "Decisions")
            env = {
                "LIENTHONG_HUB_WORKERS": str(workers),
                "LIENTHONG_HUB_SIGNING_THREADS": str(signing_threads),
            }
            trace = home / "lane-trace"
            if trace_lane:
                path = os.environ.get("PYTHONPATH", "")
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(lanetrace.HERE), path]))
                env[lanetrace.ENV] = str(trace)
            with HubProcess(home, port, extra_env=env) as hub:
                result = await _loads(
                    world,
                    hub,
                    runs=runs,
                    docs=docs,
                    concurrency=concurrency,
                    profile=profile,
                    before_full=raw_run,
                    half_rate=half_rate,
                )
                result["hub_startup_s"] = round(hub.startup_seconds, 2)
                result["hub_rss_mib"] = round(hub.rss_mib(), 1)
            if trace_lane:
                every = lanetrace.turns(trace)
                result["lane_trace"] = {
                    load: lanetrace.summarize(every, *result["per_run"][load][0]["window"])
                    for load in ("full", "half")
                }
    raw_result = _raw_median(raw_runs)
    result["raw"] = raw_result
    result["raw_docs_per_s"] = round(raw_result["docs_per_s"], 1)
    result["ratio"] = round(result["docs_per_s"] / raw_result["docs_per_s"], 3)
    result.update(scenario=kind, units=units, docs=docs, runs=runs, concurrency=concurrency)
    result["hub_workers"] = workers
    result["signing_threads"] = signing_threads
    result["targets"] = _targets(kind, result)
    return result


def _raw_median(every: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of the raw pipeline's runs (a second or so each, so one run is noisy),
    with every run's rate."""
    rates = [r["docs_per_s"] for r in every]
    middle = sorted(every, key=lambda r: r["docs_per_s"])[len(every) // 2]
    return {**middle, "per_run_docs_per_s": [round(x, 1) for x in rates]}


async def _loads(
    world: World,
    hub: HubProcess,
    *,
    runs: int,
    docs: int,
    concurrency: int,
    profile: bool,
    before_full: Callable[[], Awaitable[None]],
    half_rate: float | None = None,
) -> dict[str, Any]:
    codes = world.units
    _load(world, hub, signed_documents(world, pairs(codes, min(docs, 100))), concurrency=8)
    full = []
    for r in range(max(runs, 1)):
        await before_full()
        batch = signed_documents(world, pairs(codes, docs, offset=r))
        sample = "full" if profile and r == 0 else ""
        full.append(_load(world, hub, batch, sample, mode="closed", concurrency=concurrency))
    rate = median([f["docs_per_s"] for f in full])
    half_rate = max(rate / 2, 1.0) if half_rate is None else max(half_rate, 1.0)
    half_docs = max(min(docs, 20), min(docs, int(half_rate * 5)))
    half = []
    for r in range(runs):
        batch = signed_documents(world, pairs(codes, half_docs, offset=r + 7))
        sample = "half" if profile and r == 0 else ""
        half.append(_load(world, hub, batch, sample, mode="rate", rate=half_rate))
    keys = (
        "docs_per_s",
        "delivered_p50_ms",
        "delivered_p99_ms",
        "receipt_p50_ms",
        "hub_cpu_ms_per_doc",
    )
    summary: dict[str, Any] = medians([{k: f[k] for k in (*keys, "receipt_p99_ms")} for f in full])
    cpu_ms = summary["hub_cpu_ms_per_doc"]
    summary["hub_one_core_docs_per_s"] = round(1000 / cpu_ms, 1) if cpu_ms else 0.0
    summary["cpu_ms_per_doc"] = split = medians([f["cpu_ms_per_doc"] for f in full])
    summary["cpu_split"] = cpu_split(split)
    summary["half_load_docs_per_s"] = round(half_rate, 1)
    summary["hub_sleeps_per_doc"] = median([f["hub_sleeps_per_doc"] for f in full])
    summary["half_load_hub_sleeps_per_doc"] = median([h["hub_sleeps_per_doc"] for h in half])
    summary["half_load_hub_cpu_ms_per_doc"] = median([h["cpu_ms_per_doc"]["hub"] for h in half])
    summary["half_load_delivered_p50_ms"] = median([h["delivered_p50_ms"] for h in half])
    summary["half_load_delivered_p99_ms"] = median([h["delivered_p99_ms"] for h in half])
    summary["half_load_receipt_p99_ms"] = median([h["receipt_p99_ms"] for h in half])
    summary["errors"] = sum(f["error_count"] for f in full + half)
    summary["lost"] = sum(f["docs"] - f["receipted"] for f in full + half)
    if profile:
        summary["profile"] = {"full": full[0].pop("profile"), "half": half[0].pop("profile")}
    summary["per_run"] = {"full": full, "half": half}
    return summary


def cpu_split(split: dict[str, float]) -> str:
    """``hub 2.2 · PostgreSQL 0.9 · … ms; cores 97 % busy`` for the table."""
    names = {"hub": "hub", "postgres": "PostgreSQL", "rabbitmq": "RabbitMQ", "client": "client"}
    parts = [f"{label} {split[key]:.2f}" for key, label in names.items() if split.get(key)]
    parts.append(f"rest {split['other']:.2f}")
    return f"{' · '.join(parts)} ms; cores {split['machine_busy_share']:.0%} busy"


def _targets(kind: str, result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for name, target in TARGETS[kind].items():
        value = result[name]
        met = value <= target if name.endswith("_ms") else value >= target
        out[name] = {"target": target, "value": value, "met": met}
    return out
