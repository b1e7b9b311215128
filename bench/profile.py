"""Sampling the hub process with py-spy while a load runs, and summing where time goes.

``Profiler(pid, out)`` runs ``py-spy record --format raw`` (collapsed stacks) on the hub
while a load runs; :func:`top` turns the stacks into the functions with the most samples,
both *self* (the frame on top) and *inclusive* (anywhere on the stack), as percentages.
py-spy runs ``--nonblocking``: pausing the hub for each sample (py-spy's default) slowed
the embedded hub, with its SQLite reader threads, several times over (docs/benchmarks.md,
"Decisions").
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter, or on PATH."""
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


class Profiler:
    """py-spy on ``pid`` and its children (the workers of ``serve --workers N``) from
    ``__enter__`` until ``__exit__``, which interrupts it so that it writes ``out``."""

    def __init__(self, pid: int, out: Path) -> None:
        self.pid, self.out = pid, out
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        exe = py_spy()
        self.out.unlink(missing_ok=True)
        if exe is not None:
            cmd = [exe, "record", "-p", str(self.pid), "--subprocesses", "-r", "200"]
            cmd += ["--nonblocking", "-f", "raw", "-o", str(self.out)]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def top(self, limit: int = 15) -> dict[str, Any]:
        """The profile summary (empty when py-spy is missing or wrote nothing)."""
        return {**top(self.out, limit), "raw": str(self.out)} if self.out.exists() else {}


#: Top frames of a thread that is waiting, not working (py-spy cannot always tell).
#: (function, file name) pairs.
IDLE = {
    ("_worker", "thread.py"),
    ("select", "selectors.py"),
    ("EpollSelector.select", "selectors.py"),
    ("wait", "threading.py"),
}
#: Top frames that wait only on one line: aiosqlite's thread blocks in ``tx.get()`` (C, so
#: it is the top frame) and works a few lines below. (function, file name, line) triples.
IDLE_AT = {("_connection_worker_thread", "core.py", "59")}
#: ``func (path:line)``; anything else is a piece of a process title that held a ``;``.
FRAME = re.compile(r"^\S.* \(.+:\d+\)$")


def _idle(raw: str) -> bool:
    name, _, where = raw.partition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    file = Path(path).name
    return (name, file) in IDLE or (name, file, line) in IDLE_AT


def _frame(raw: str) -> tuple[str, bool]:
    """``func (path/to/module.py:12)`` → (``func (module.py)``, whether it is the hub's
    own code outside the CLI)."""
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if parts else path
    rooted = "/" + path
    ours = ("/gateway/" in rooted or "/adapters/" in rooted) and "/gateway/cli/" not in rooted
    return f"{name} ({short})", ours


def top(path: Path, limit: int = 15) -> dict[str, Any]:
    """Self and inclusive shares of the ``limit`` busiest functions, over the samples of
    working threads; the inclusive list names the hub's own functions only."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        raws = [f for f in stack.split(";") if FRAME.match(f)]
        if not raws:
            continue
        frames = [_frame(f) for f in raws]
        if _idle(raws[-1]):
            idle += count
            continue
        total += count
        own[frames[-1][0]] += count
        for frame in {name for name, ours in frames if ours}:
            inclusive[frame] += count
    if not total:
        return {}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(limit)]

    return {
        "samples": total,
        "idle_samples": idle,
        "self": share(own),
        "inclusive": share(inclusive),
    }
