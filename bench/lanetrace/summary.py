"""The write-lane trace of ``python -m bench e2e --trace-lane``, summed over a load window."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from statistics import median
from typing import Any

HERE = Path(__file__).resolve().parent
ENV = "LIENTHONG_BENCH_LANE_TRACE"


def turns(prefix: Path) -> list[dict[str, Any]]:
    """Every traced turn of every hub process that wrote under ``prefix``."""
    found = []
    for path in sorted(prefix.parent.glob(f"{prefix.name}.*.jsonl")):
        found += [json.loads(line) for line in path.read_text().splitlines() if line]
    return sorted(found, key=lambda t: t["t0"])


def summarize(every: list[dict[str, Any]], start: float, end: float) -> dict[str, Any]:
    """Turns that began in ``[start, end)`` (``time.monotonic``): how many, how big, how
    long, their round trips, and the statements that took the most wall time."""
    window = [t for t in every if start <= t["t0"] < end]
    if not window:
        return {"turns": 0}
    span = max(t["t0"] + t["dur"] for t in window) - window[0]["t0"]
    busy = sum(t["dur"] for t in window)
    waiting = sum(d for t in window for _, d in t["rts"])
    count: Counter[str] = Counter()
    wall: defaultdict[str, float] = defaultdict(float)
    for turn in window:
        for name, seconds in turn["rts"]:
            count[name] += 1
            wall[name] += seconds
    durations = sorted(t["dur"] for t in window)
    return {
        "turns": len(window),
        "turns_per_s": round(len(window) / span, 1) if span > 0 else 0.0,
        "lane_busy_share": round(busy / span, 2) if span > 0 else 0.0,
        "writes_per_turn_p50": median(t["n"] for t in window),
        "turn_ms_p50": round(median(durations) * 1000, 1),
        "turn_ms_p90": round(durations[int(len(durations) * 0.9)] * 1000, 1),
        "round_trips_per_turn_p50": median(len(t["rts"]) for t in window),
        "round_trip_share_of_turns": round(waiting / busy, 2) if busy else 0.0,
        "statements": [
            {
                "sql": name,
                "per_turn": round(n / len(window), 2),
                "mean_ms": round(wall[name] / n * 1000, 2),
            }
            for name, n in sorted(count.items(), key=lambda kv: -wall[kv[0]])[:10]
        ],
    }


def lines(name: str, traces: dict[str, dict[str, Any]]) -> list[str]:
    """The summaries as text for the report."""
    out = []
    for load, s in traces.items():
        if not s.get("turns"):
            out.append(f"{name} {load} load: no lane turns traced")
            continue
        out.append(
            f"{name} {load} load, write lane: {s['turns']} turns ({s['turns_per_s']}/s, busy "
            f"{s['lane_busy_share']:.0%}), {s['writes_per_turn_p50']} writes and "
            f"{s['round_trips_per_turn_p50']} round trips a turn (p50), turn "
            f"{s['turn_ms_p50']} / {s['turn_ms_p90']} ms (p50 / p90), "
            f"{s['round_trip_share_of_turns']:.0%} of it waiting for round trips"
        )
        out += [
            f"  {st['per_turn']:5.2f} a turn, {st['mean_ms']:6.2f} ms each  {st['sql']}"
            for st in s["statements"]
        ]
    return out
