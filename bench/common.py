"""What every scenario shares: the machine, statistics, services, process memory.

Each scenario runs on its own PostgreSQL database and RabbitMQ vhost (random names,
dropped afterwards) so a benchmark never touches another run's data.

RabbitMQ is inspected with ``rabbitmqctl list_queues`` and ``rabbitmqctl eval`` only:
on the RabbitMQ 3.10 of this machine ``rabbitmqctl status`` asks the file handle cache for
fields it does not know, and a few calls in a row crash it past its supervisor's restart
limit (vhost deletes then fail until the app is restarted).
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

PG_ADMIN_DSN = os.environ.get("LIENTHONG_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("LIENTHONG_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672")
PASSPHRASE = "bench-passphrase"
MIB = 1024 * 1024


def machine() -> dict[str, Any]:
    """Cores, CPU model, Python, load average: the context of every figure."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count() or 1,
        "cpu": cpu,
        "python": platform.python_version(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def host_speed(seconds: float = 1.0) -> float:
    """RSA-2048 signatures per second on one core with ``cryptography`` (PKCS#1 v1.5,
    SHA-256): how fast this host is right now, so that runs on different (or differently
    loaded) hosts can be compared. The median of three loops of ``seconds / 3``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rates = []
    for _ in range(3):
        count, began = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - began) < seconds / 3:
            key.sign(b"lienthong host speed", padding.PKCS1v15(), hashes.SHA256())
            count += 1
        rates.append(count / elapsed)
    return round(statistics.median(rates), 1)


def median(values: Sequence[float]) -> float:
    """The median (0.0 for no values)."""
    return float(statistics.median(values)) if values else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100.0 * len(ordered) + 0.5) - 1))
    return float(ordered[rank])


def medians(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    """Per key, the median over runs (keys of the first run)."""
    return {k: round(median([r[k] for r in runs if k in r]), 3) for k in runs[0]} if runs else {}


# --- services ---------------------------------------------------------------------------


def rabbitmqctl(*args: str, timeout: float = 120) -> str:
    """Run ``rabbitmqctl`` and return its output (raises on failure)."""
    done = subprocess.run(
        ["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True, timeout=timeout
    )
    return done.stdout


@contextlib.contextmanager
def vhost() -> Iterator[str]:
    """A fresh RabbitMQ vhost (yields its AMQP URL), deleted afterwards."""
    name = f"lt_bench_{secrets.token_hex(5)}"
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
        yield f"{AMQP_BASE}/{name}"
    finally:
        rabbitmqctl("delete_vhost", name, timeout=600)


def queue_count(amqp_url: str) -> int:
    """How many queues the URL's vhost holds."""
    vhost_name = amqp_url.rsplit("/", 1)[1]
    out = rabbitmqctl("list_queues", "-p", vhost_name, "name", "--no-table-headers")
    return sum(1 for line in out.splitlines() if line.strip())


def broker_memory() -> int:
    """RabbitMQ's total Erlang memory in bytes (``erlang:memory(total)``)."""
    out = rabbitmqctl("eval", "erlang:memory(total).")
    return int(re.sub(r"\D", "", out) or 0)


def broker_file_handle_limit() -> int:
    """How many file handles RabbitMQ allows itself (``file_handle_cache:get_limit()``)."""
    out = rabbitmqctl("eval", "file_handle_cache:get_limit().")
    return int(re.sub(r"\D", "", out) or 0)


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def pg_database() -> Any:
    """A fresh PostgreSQL database (yields its SQLAlchemy URL), dropped afterwards."""
    name = f"lt_bench_{secrets.token_hex(5)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def temp_home(keep: bool = False) -> Iterator[Path]:
    """A throw-away hub home outside the repository."""
    root = Path(tempfile.mkdtemp(prefix="lienthong-bench-"))
    try:
        yield root / "home"
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- process memory ----------------------------------------------------------------------


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/PID/status`` field in KiB (``VmRSS``, ``VmHWM``); 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_stat(pid: int) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the command name ([] if the process is gone):
    [1] the parent, [11] + [12] its own CPU ticks, [13] + [14] its reaped children's."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def stat_seconds(fields: list[str], first: int) -> float:
    """Seconds of the two tick fields from ``first`` (0.0 for a gone process)."""
    if len(fields) <= first + 1:
        return 0.0
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time ``pid`` has used so far (0.0 if gone)."""
    return stat_seconds(proc_stat(pid), 11)


def rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` in MiB."""
    return status_kib(pid, "VmRSS") / 1024


class RssSampler:
    """Samples a process's VmRSS every ``every`` seconds in a thread; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid = pid
        self.every = every
        self.peak_kib = status_kib(pid, "VmRSS")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, status_kib(self.pid, "VmRSS"))
            time.sleep(self.every)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        """The highest VmRSS seen, in MiB."""
        return self.peak_kib / 1024


def python() -> str:
    """The interpreter running the benchmark (the venv's)."""
    return sys.executable
