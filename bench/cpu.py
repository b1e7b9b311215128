"""Where the machine's CPU goes during a load: the hub, PostgreSQL, RabbitMQ, the client.

``CpuLedger(hub_pid)`` reads, when entered and when left, the CPU time of the hub process
and its children (the workers of ``serve --workers N``), of every ``postgres`` process, of
every ``beam.smp`` (RabbitMQ) process, of the process using it (the load client, which
enters it at its first submit and leaves it at the last receipt) and of the whole machine
(``/proc/stat``). :meth:`CpuLedger.per_doc` turns the differences into milliseconds of CPU
per document, plus how busy the machine's cores were. On the embedded stack the broker and
the database server still show what they used meanwhile (little: they are idle).
:meth:`CpuLedger.sleeps_per_doc` gives the hub's sleeps per document (the voluntary
context switches of its threads: each is a wait that a socket or a timer ended): on this
virtual machine a wake-up from an idle core costs several times a busy one, so they say
why the same work costs more CPU per document at a lower rate.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.common import proc_stat, stat_seconds

COMPONENTS = {"postgres": ("postgres",), "rabbitmq": ("beam.smp",)}


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tree_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its live children (``serve --workers N`` runs N)."""
    children = (proc_stat(c) for c in _pids())
    return stat_seconds(proc_stat(pid), 11) + sum(
        stat_seconds(f, 11) for f in children if f and f[1] == str(pid)
    )


def hub_sleeps(pid: int) -> int:
    """Voluntary context switches so far of every thread of ``pid`` and its children."""
    total = 0
    kids = [c for c in _pids() if (f := proc_stat(c)) and f[1] == str(pid)]
    for p in (pid, *kids):
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except OSError:
            continue  # a process or thread that ended meanwhile
    return total


def _component_times(names: tuple[str, ...]) -> dict[int, float]:
    """CPU seconds used so far by each live process called one of ``names``, with the
    children it has reaped (a PostgreSQL backend that ended is counted by the postmaster)."""
    out: dict[int, float] = {}
    for pid in _pids():
        if _comm(pid) in names:
            fields = proc_stat(pid)
            out[pid] = stat_seconds(fields, 11) + stat_seconds(fields, 13)
    return out


def component_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the processes used between two readings: a process alive at both counts
    its difference, one started meanwhile all it used, and one that ended meanwhile nothing
    (a private server another test stopped, whose time would otherwise be subtracted)."""
    return sum(max(t - before.get(pid, 0.0), 0.0) for pid, t in after.items())


def _machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the machine since boot, all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    total = sum(fields[:8])
    ticks = os.sysconf("SC_CLK_TCK")
    return (total - idle) / ticks, total / ticks


class CpuLedger:
    """CPU time per component between ``__enter__`` and ``__exit__``."""

    def __init__(self, hub_pid: int) -> None:
        self.hub_pid = hub_pid
        self._start: dict[str, float] = {}
        self._procs: dict[str, dict[int, float]] = {}
        self.used: dict[str, float] = {}
        self._sleeps = 0
        #: The hub's sleeps between enter and exit.
        self.sleeps = 0
        self.wall = 0.0
        self.cores_total = 0.0

    def _read(self) -> dict[str, float]:
        busy, total = _machine_busy_seconds()
        out = {"hub": tree_seconds(self.hub_pid), "client": time.process_time()}
        out.update(machine=busy, machine_total=total, wall=time.monotonic())
        return out

    def __enter__(self) -> CpuLedger:
        self._sleeps = hub_sleeps(self.hub_pid)
        self._procs = {name: _component_times(names) for name, names in COMPONENTS.items()}
        self._start = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._read()
        delta = {k: max(end[k] - self._start[k], 0.0) for k in end}
        for name, names in COMPONENTS.items():
            delta[name] = component_delta(self._procs[name], _component_times(names))
        self.wall = delta.pop("wall")
        self.cores_total = delta.pop("machine_total")
        self.used = delta
        self.sleeps = max(hub_sleeps(self.hub_pid) - self._sleeps, 0)

    def per_doc(self, docs: int) -> dict[str, Any]:
        """Milliseconds of CPU per document for each component, the rest of the machine
        (``other``), and the machine's busy share of its cores."""
        n = max(docs, 1)
        out: dict[str, Any] = {k: round(v * 1000 / n, 3) for k, v in self.used.items()}
        named = sum(v for k, v in self.used.items() if k != "machine")
        out["other"] = round(max(self.used["machine"] - named, 0.0) * 1000 / n, 3)
        out["machine_busy_share"] = (
            round(self.used["machine"] / self.cores_total, 3) if self.cores_total else 0.0
        )
        return out

    def sleeps_per_doc(self, docs: int) -> float:
        """The hub's sleeps per document."""
        return round(self.sleeps / max(docs, 1), 2)
