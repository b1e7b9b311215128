"""Sampling the hub process with py-spy while a load runs, and summing where time goes.

``Profiler(pid, seconds)`` starts ``py-spy record --format raw`` (collapsed stacks) on the
hub; :func:`top` turns the stacks into the functions with the most samples, both *self*
(the frame on top) and *inclusive* (anywhere on the stack), as percentages.
"""

from __future__ import annotations

import shutil
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
    """py-spy on ``pid`` for ``seconds`` (idle samples left out)."""

    def __init__(self, pid: int, seconds: float, out: Path) -> None:
        self.pid, self.seconds, self.out = pid, seconds, out
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profiler:
        exe = py_spy()
        if exe is not None:
            cmd = [exe, "record", "-p", str(self.pid), "-d", str(int(self.seconds)), "-r", "200"]
            cmd += ["-f", "raw", "-o", str(self.out)]
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(self.seconds + 30)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                self.proc.wait()

    def top(self, limit: int = 15) -> dict[str, Any]:
        """The profile summary (empty when py-spy is missing or wrote nothing)."""
        return top(self.out, limit) if self.out.exists() else {}


def _frame(raw: str) -> str:
    """``func (path/to/module.py:12)`` → ``func (module.py)``."""
    name, _, where = raw.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = Path(path).parts
    short = "/".join(parts[-2:]) if parts else path
    return f"{name} ({short})"


def top(path: Path, limit: int = 15) -> dict[str, Any]:
    """Self and inclusive sample shares of the ``limit`` busiest functions."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return {}

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(limit)]

    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}
