"""directory: how the hub and the broker grow with the number of units.

For each size, a fresh home with that many units (one CSV import), then a hub
subprocess: startup is spawn → first ``/healthz`` 200 (the hub declares and consumes every
unit's mailbox before it listens); RSS is read once it is up. Each size is started twice:
the *first start* creates every mailbox queue (on RabbitMQ a quorum queue per unit, the
one-time provisioning of a new directory), the *restart* finds them in place (what every
later start of the hub, after an upgrade or a crash, costs). The startup target is judged
on both, reported apart. On RabbitMQ the vhost's
queue count and the broker's memory growth (``erlang:memory(total)``, a shared broker:
other work moves it too) are recorded. The embedded stack (SQLite + local bus) shows
the hub's own cost per unit without the broker.

Per-unit quorum queues are capped here: RabbitMQ on this machine runs with 1,024 file
descriptors (``file_handle_cache`` limit ≈ 927) and each quorum queue holds file handles,
so a size above ``MAX_QUEUE_SHARE`` of that limit is not attempted (it would starve every
other user of the shared broker: with 500 quorum queues the first start worked, but the
restart, which opens every queue's files for its consumer, left the broker refusing new
connections until the vhost was deleted); the 10,000-unit broker cost is extrapolated from the
sizes measured, and the embedded stack measures the hub side at full size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bench.common import (
    MIB,
    broker_file_handle_limit,
    broker_memory,
    free_port,
    pg_database,
    queue_count,
    temp_home,
    vhost,
)
from bench.hubproc import HubProcess
from bench.world import prepare, unit_codes, write_config

#: The startup target holds for both starts: a restart, and the first start that creates
#: every mailbox (reported apart, because it happens once per directory).
TARGETS = {"max_rss_mib": 300.0, "max_startup_s": 2.0, "max_first_start_s": 2.0}
MAX_QUEUE_SHARE = 0.3
#: ``[bus] shards`` of the sharded RabbitMQ rows (what config.example.toml advises).
SHARDS = 16
GOAL_UNITS = 10_000


async def _rabbit_size(units: int, shards: int = 0) -> dict[str, Any]:
    with temp_home() as home:
        async with pg_database() as db_url:
            with vhost() as amqp_url:
                port = free_port()
                config = write_config(home, db_url, amqp_url, port, shards=shards)
                await prepare(config, unit_codes(units))
                memory_before = broker_memory()
                with HubProcess(home, port).start(timeout=900) as hub:
                    await asyncio.sleep(1.0)
                    row = {
                        "stack": f"PostgreSQL + RabbitMQ, {shards} shared queues"
                        if shards
                        else "PostgreSQL + RabbitMQ",
                        "units": units + 1,
                        "first_start_s": round(hub.startup_seconds, 2),
                        "rss_mib": round(hub.rss_mib(), 1),
                        "queues": queue_count(amqp_url),
                        "broker_memory_mib": round((broker_memory() - memory_before) / MIB, 1),
                    }
                row["startup_s"] = _restart_seconds(home, port)
    return row


def _restart_seconds(home: Any, port: int) -> float:
    """Start the hub again on the same home (its mailboxes exist now): startup seconds."""
    with HubProcess(home, port).start(timeout=900) as hub:
        return round(hub.startup_seconds, 2)


async def _embedded_size(units: int) -> dict[str, Any]:
    with temp_home() as home:
        port = free_port()
        config = write_config(
            home, f"sqlite+aiosqlite:///{home / 'lienthong.db'}", "local://", port
        )
        await prepare(config, unit_codes(units))
        with HubProcess(home, port).start(timeout=900) as hub:
            await asyncio.sleep(1.0)
            row: dict[str, Any] = {
                "stack": "SQLite + local bus",
                "units": units + 1,
                "first_start_s": round(hub.startup_seconds, 2),
                "rss_mib": round(hub.rss_mib(), 1),
            }
        row["startup_s"] = _restart_seconds(home, port)
        return row


def _per_unit(row: dict[str, Any]) -> bool:
    """A RabbitMQ row with a quorum queue per unit (``[bus] shards = 0``)."""
    return "queues" in row and "shared" not in row["stack"]


def extrapolate(rows: list[dict[str, Any]], goal: int = GOAL_UNITS) -> dict[str, float]:
    """Linear per-unit cost between the two largest RabbitMQ sizes, projected to ``goal``."""
    rabbit = sorted((r for r in rows if _per_unit(r)), key=lambda r: r["units"])
    if len(rabbit) < 2:
        return {}
    a, b = rabbit[-2], rabbit[-1]
    span = float(b["units"] - a["units"])

    def at_goal(key: str) -> float:
        slope = float(b[key] - a[key]) / span
        return round(float(b[key]) + slope * (goal - float(b["units"])), 1)

    return {
        "units": goal,
        "startup_s": at_goal("startup_s"),
        "first_start_s": at_goal("first_start_s"),
        "rss_mib": at_goal("rss_mib"),
        "broker_memory_mib": at_goal("broker_memory_mib"),
        "startup_ms_per_unit": round(1000 * (b["startup_s"] - a["startup_s"]) / span, 2),
        "first_start_ms_per_unit": round(
            1000 * (b["first_start_s"] - a["first_start_s"]) / span, 2
        ),
    }


async def measure(
    *, rabbit_sizes: list[int], embedded_sizes: list[int], sharded_sizes: Sequence[int] = ()
) -> dict[str, Any]:
    """Every size on every stack; the targets apply to the rows with shared delivery queues
    and the embedded ones (a queue per unit is measured and reported beside them)."""
    limit = broker_file_handle_limit()
    rows, skipped = [], []
    for units in rabbit_sizes:
        if units > limit * MAX_QUEUE_SHARE:
            skipped.append(units)
            continue
        rows.append(await _rabbit_size(units))
    for units in sharded_sizes:  # a fixed number of queues: no file handle limit to mind
        rows.append(await _rabbit_size(units, shards=SHARDS))
    for units in embedded_sizes:
        rows.append(await _embedded_size(units))
    largest = max(rows, key=lambda r: (r["units"], r["rss_mib"]))
    # the targets judge the design decided for large directories (shared delivery queues on
    # RabbitMQ) and the embedded stack; a queue per unit is reported beside them
    per_unit = [r for r in rows if _per_unit(r)]
    decided = [r for r in rows if not _per_unit(r)] or rows
    result: dict[str, Any] = {
        "sizes": rows,
        "broker_file_handle_limit": limit,
        "skipped_rabbit_sizes": skipped,
        "extrapolated_rabbit": extrapolate(rows),
        "max_rss_mib": max(r["rss_mib"] for r in decided),
        "max_startup_s": max(r["startup_s"] for r in decided),
        "max_first_start_s": max(r["first_start_s"] for r in decided),
        "largest_units": largest["units"],
    }
    if per_unit:
        result["per_unit_max_startup_s"] = max(r["startup_s"] for r in per_unit)
        result["per_unit_max_first_start_s"] = max(r["first_start_s"] for r in per_unit)
    result["targets"] = {
        key: {"target": target, "value": result[key], "met": result[key] <= target}
        for key, target in TARGETS.items()
    }

    return result
