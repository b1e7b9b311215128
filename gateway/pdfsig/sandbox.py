"""The PDF check with a bounded cost: each check runs in a worker process under a CPU limit.

A well-formed but hostile PDF (tens of thousands of form fields, thousands of revisions)
can make pyHanko's structure and difference analysis run for seconds of CPU per file. So
the hub never checks a PDF in its own process: :class:`BoundedChecker` hands each file to
one of a few long-lived worker processes (shared by every hub of the process)
and waits for the verdict.

In the worker, a check may use ``cpu_seconds`` of CPU (``ITIMER_PROF``, which counts the
process's user and system time at sub-second precision); past it, the check stops and the
verdict is ``unchecked`` with the reason. Two backstops catch a check that cannot be
interrupted (stuck in C code): the worker's ``RLIMIT_CPU`` ends the process a few seconds
later, and the parent kills a worker that has not answered within :func:`wall_limit`.
Either way the verdict is ``unchecked`` (``limit = "cpu"``) and the next check gets a fresh
worker; the hub itself never waits longer than the wall limit and never sees an exception.

The worker's address space is limited to ``memory_mib`` (``RLIMIT_AS``): a check that
needs more gets a ``MemoryError``, answers ``unchecked`` (``limit = "memory"``) and the
worker retires, so the next check gets a fresh one. A worker that dies for another reason
(a crash in a C library, a signal from outside, a ``MemoryError`` where it cannot answer)
gives ``unchecked`` with ``limit = "crash"`` and its exit code. Workers exit when the hub's
process closes their pipe (or ends).

:data:`FAULT_ENV` is for tests only: it names a fault the worker puts on one file, so a
test can make a check go past its CPU timer deterministically. It is read from the worker's
environment, never from a request, so nothing a unit submits can set it.
"""

from __future__ import annotations

import math
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import structlog
from asn1crypto import x509 as ax509

from gateway.pdfsig.verdict import PdfVerdict, verdict_from_json

__all__ = ["FAULT_ENV", "UNCHECKED", "BoundedChecker", "wall_limit"]

#: The status of a PDF whose check went over its limit.
UNCHECKED = "unchecked"
#: Tests only, comma-separated ``no-cpu-timer:NAME``: the check of file NAME runs without
#: its CPU timer, as if stuck in C code where the timer's handler cannot run, so only
#: RLIMIT_CPU ends it.
FAULT_ENV = "LIENTHONG_TEST_PDF_WORKER_FAULT"
#: Bytes in a MiB.
_MIB = 1 << 20

log = structlog.get_logger("gateway.pdfsig")
#: Seconds of CPU the worker's RLIMIT_CPU allows beyond the check's own limit.
_RLIMIT_SLACK = 3
#: Seconds a fresh worker may take to start (it imports pyHanko).
_START_SECONDS = 60.0


def wall_limit(cpu_seconds: float, *, fetching: bool) -> float:
    """How long the hub waits for one check before killing its worker: four times the
    CPU limit (the worker shares the cores with the hub), plus time for CRL/OCSP
    answers when fetching is on."""
    return 4 * cpu_seconds + (60.0 if fetching else 10.0)


class _OverLimit(BaseException):
    """Raised in the worker by SIGPROF; a BaseException, so no ``except Exception`` in a
    parser can swallow it."""


def _on_sigprof(signum: int, frame: object) -> None:
    raise _OverLimit


def _serve() -> None:  # pragma: no cover - runs in the worker process
    """The worker's loop over its stdin/stdout: one request, one answer, until the pipe
    closes. Its own stdout goes to stderr, so nothing a library prints reaches the pipe."""
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    requests = Connection(0, writable=False)
    signal.signal(signal.SIGPROF, _on_sigprof)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the parent's to handle
    answers.send("ready")
    while True:
        try:
            request = requests.recv()
        except (EOFError, OSError):
            return
        answer = _check_one(request)
        answers.send(answer)
        if answer.get("over_memory"):
            return  # its heap may be fragmented or half-freed: the next check gets a new one


def _check_one(request: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - in the worker
    """Check one PDF within the request's CPU limit."""
    from gateway.pdfsig.check import PdfChecker

    anchors = [ax509.Certificate.load(der) for der in request["anchors"]]
    checker = PdfChecker(lambda: anchors, fetch_revocation=request["fetch"])
    data = request["data"]
    source = Path(data) if isinstance(data, str) else data
    now = datetime.fromisoformat(request["now"])
    cpu = float(request["cpu_seconds"])
    fault = _fault(request["name"])
    _limit_cpu(cpu)
    _limit_memory(int(request["memory_mib"]))
    try:
        if fault != "no-cpu-timer":
            signal.setitimer(signal.ITIMER_PROF, cpu)
        try:
            verdict = checker(source, request["name"], sha256=request["sha256"], now=now)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _OverLimit:
        return {"over_limit": True}
    except MemoryError:
        return {"over_memory": True}
    return {"verdict": verdict.to_json()}


def _limit_cpu(cpu: float) -> None:  # pragma: no cover - in the worker
    """RLIMIT_CPU a little past this check's budget: SIGXCPU ends a check the timer
    cannot stop (below the hard limit, whose SIGKILL would look like a crash)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    spent = used.ru_utime + used.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(spent + cpu) + _RLIMIT_SLACK
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard - 1)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _limit_memory(mib: int) -> None:  # pragma: no cover - in the worker
    """RLIMIT_AS at ``mib`` MiB (never above the hard limit the hub was given)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = mib * _MIB
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _fault(name: str) -> str:  # pragma: no cover - in the worker
    """The test fault set on file ``name`` by :data:`FAULT_ENV` ("" when none)."""
    for item in os.environ.get(FAULT_ENV, "").split(","):
        fault, _, target = item.partition(":")
        if target and target == name:
            return fault
    return ""


class _Worker:
    """One worker process (``python -m gateway.pdfsig.sandbox``) and the pipes to it.

    A plain subprocess, not ``multiprocessing``: a spawned child would run the parent's
    ``__main__`` again (a script that embeds the hub), a forked one would inherit the
    hub's threads and event loop."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.pdfsig.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.send = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.recv = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        #: Whether its last check went past the wall limit (it is then killed, not dead).
        self.late = False
        try:
            ready = self.recv.poll(_START_SECONDS) and self.recv.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise OSError("the PDF check worker did not start")

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """The worker's answer, or None when it did not answer in time (``late``) or died."""
        try:
            self.send.send(request)
            if not self.recv.poll(timeout):
                self.late = True
                return None
            answer: dict[str, Any] = self.recv.recv()
        except (EOFError, OSError):
            return None
        return answer

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.poll() is None

    def kill(self) -> int | None:
        """End the process; its exit code (negative: the signal that ended it)."""
        for conn in (self.send, self.recv):
            conn.close()
        if self.alive():
            self.process.kill()
        try:
            return self.process.wait(5)
        except subprocess.TimeoutExpired:
            return None


class _Pool:
    """Up to ``size`` workers, started when first needed, shared by every checker."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    def _take(self) -> _Worker:
        """An idle worker still alive (one that died while idle is reaped), or a new one."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                return _Worker()
            if worker.alive():
                return worker
            worker.kill()

    def run(self, request: dict[str, Any], timeout: float) -> tuple[dict[str, Any] | None, int]:
        """The answer (None: none in time) and, when there is none, the worker's exit
        code (0 when it was killed for being late; a worker dead before it answered gives
        its own code even if the pipe closed before it could be reaped)."""
        with self._slots:
            worker = self._take()
            answer = worker.ask(request, timeout)
            if answer is not None:
                if answer.get("over_memory"):
                    log.warning("pdf_check_worker_out_of_memory", pid=worker.process.pid)
                    worker.kill()  # it exits by itself after this answer
                else:
                    self._idle.put(worker)
                return answer, 0
            pid, code = worker.process.pid, worker.kill()
            if worker.late:
                log.warning("pdf_check_worker_late", pid=pid, seconds=timeout)
                return None, 0
            code = -signal.SIGKILL if code is None else code
            log.warning("pdf_check_worker_ended", pid=pid, exit_code=code)
            return None, code


_POOLS: dict[int, _Pool] = {}
_POOLS_LOCK = threading.Lock()


def _pool(size: int) -> _Pool:
    with _POOLS_LOCK:
        pool = _POOLS.get(size)
        if pool is None:
            pool = _POOLS[size] = _Pool(size)
        return pool


class BoundedChecker:
    """A :class:`~gateway.pdfsig.check.PdfChecker` that runs each check in a worker
    process within ``cpu_seconds`` of CPU (blocking: call it from a thread)."""

    def __init__(
        self,
        anchors: Callable[[], list[ax509.Certificate]],
        *,
        fetch_revocation: bool = False,
        cpu_seconds: float = 10.0,
        memory_mib: int = 1024,
        workers: int = 2,
    ) -> None:
        self.anchors = anchors
        self.fetch = fetch_revocation
        self.cpu_seconds = cpu_seconds
        self.memory_mib = memory_mib
        self.pool = _pool(workers)

    def __call__(
        self, data: bytes | Path, name: str, *, sha256: str = "", now: datetime | None = None
    ) -> PdfVerdict:
        """The verdict of one PDF (``unchecked`` past the limit; never raises)."""
        now = now or datetime.now(UTC)
        request = {
            "data": str(data) if isinstance(data, Path) else data,
            "name": name,
            "sha256": sha256,
            "now": now.isoformat(),
            "anchors": [a.dump() for a in self.anchors()],
            "fetch": self.fetch,
            "cpu_seconds": self.cpu_seconds,
            "memory_mib": self.memory_mib,
        }
        timeout = wall_limit(self.cpu_seconds, fetching=self.fetch)
        try:
            answer, exit_code = self.pool.run(request, timeout)
        except OSError as exc:
            return _unchecked(name, sha256, now, "crash", f"the check's worker: {exc}")
        if answer is not None and "verdict" in answer:
            return verdict_from_json(answer["verdict"])
        if answer is not None and answer.get("over_memory"):
            return _unchecked(name, sha256, now, "memory", self._memory_problem())
        if answer is not None or exit_code in (0, -signal.SIGXCPU):
            return _unchecked(name, sha256, now, "cpu", self._cpu_problem())
        return _unchecked(name, sha256, now, "crash", _crash_problem(exit_code))

    def _cpu_problem(self) -> str:
        return (
            f"the check needed more than {self.cpu_seconds:g} s of CPU "
            "([pdf] check_cpu_seconds); the PDF was not checked"
        )

    def _memory_problem(self) -> str:
        return (
            f"the check needed more than {self.memory_mib} MiB of memory "
            "([pdf] check_memory_mib); the PDF was not checked"
        )


def _crash_problem(exit_code: int) -> str:
    if exit_code < 0:
        try:
            how = f"signal {signal.Signals(-exit_code).name}"
        except ValueError:
            how = f"signal {-exit_code}"
    else:
        how = f"exit code {exit_code}"
    return f"the check's worker process ended ({how}); the PDF was not checked"


def _unchecked(name: str, sha256: str, now: datetime, limit: str, problem: str) -> PdfVerdict:
    return PdfVerdict(name, sha256, UNCHECKED, problem=problem, checked_at=_at(now), limit=limit)


def _at(now: datetime) -> str:
    return now.isoformat()


if __name__ == "__main__":  # pragma: no cover - the worker process
    _serve()
