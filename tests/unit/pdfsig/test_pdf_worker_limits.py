"""The PDF check's worker processes at their limits, with real subprocesses: the RLIMIT_CPU
backstop, the memory limit (RLIMIT_AS), a worker that crashes or dies while idle; each
gives an ``unchecked`` verdict that says why, and the next check gets a working worker."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization
from structlog.testing import capture_logs

from gateway.config import PdfConfig
from gateway.pdfsig import sandbox
from gateway.pdfsig.sandbox import FAULT_ENV, UNCHECKED, BoundedChecker
from tests.support.pdfsign import costly_pdf, hungry_pdf, minimal_pdf, pdf_ca, sign_pdf

CA = pdf_ca()
SIGNED = sign_pdf(minimal_pdf(), CA.person(), CA)


def _anchors() -> list[ax509.Certificate]:
    return [ax509.Certificate.load(CA.cert.public_bytes(serialization.Encoding.DER))]


@pytest.fixture
def own_pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[sandbox._Pool]:
    """A pool of one worker for this test alone (its workers see this test's environment);
    its workers are ended after."""
    monkeypatch.setenv(FAULT_ENV, "no-cpu-timer:stuck.pdf")
    pool = sandbox._Pool(1)
    yield pool
    while not pool._idle.empty():
        pool._idle.get_nowait().kill()


def _checker(pool: sandbox._Pool, **limits: float) -> BoundedChecker:
    checker = BoundedChecker(_anchors, workers=1, **limits)  # type: ignore[arg-type]
    checker.pool = pool
    return checker


def _worker_pid(pool: sandbox._Pool) -> int:
    return pool._idle.queue[-1].process.pid


def test_rlimit_cpu_ends_a_check_the_cpu_timer_cannot_stop(
    own_pool: sandbox._Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check that runs on without its CPU timer (as if stuck in C code) is ended by the
    worker's own RLIMIT_CPU (SIGXCPU) a few seconds past the budget (the hub's wall limit
    is out of the way here, so nothing else can end it); the verdict is ``unchecked`` for
    CPU and the next check gets a new worker."""
    checker = _checker(own_pool, cpu_seconds=1.0)
    assert checker(SIGNED, "warm.pdf").status == "incomplete"
    first = _worker_pid(own_pool)
    stuck = costly_pdf(SIGNED, fields=80_000)  # a full check costs several seconds more
    monkeypatch.setattr(sandbox, "wall_limit", lambda cpu, fetching: 300.0)
    with capture_logs() as logs:
        verdict = checker(stuck, "stuck.pdf")
    assert verdict.status == UNCHECKED and verdict.limit == "cpu"
    assert verdict.problem is not None and "1 s of CPU" in verdict.problem
    ended = [e for e in logs if e["event"] == "pdf_check_worker_ended"]
    assert [e["exit_code"] for e in ended] == [-signal.SIGXCPU]
    assert checker(SIGNED, "next.pdf").status == "incomplete"
    assert _worker_pid(own_pool) != first


def test_a_check_over_the_memory_limit_is_unchecked_and_its_worker_retires(
    own_pool: sandbox._Pool,
) -> None:
    """A small PDF whose check makes pyHanko build more than ``memory_mib`` gets a
    MemoryError in its worker: the verdict is ``unchecked`` for memory, naming the
    setting; the worker is replaced. Under a larger limit the same file is checked."""
    checker = _checker(own_pool, cpu_seconds=60.0, memory_mib=256)
    assert checker(SIGNED, "warm.pdf").status == "incomplete"
    first = _worker_pid(own_pool)
    hungry = hungry_pdf(SIGNED)
    verdict = checker(hungry, "hungry.pdf", sha256="cd" * 32)
    assert verdict.status == UNCHECKED and verdict.limit == "memory"
    assert verdict.problem is not None and "256 MiB" in verdict.problem
    assert "check_memory_mib" in verdict.problem and verdict.sha256 == "cd" * 32
    assert own_pool._idle.empty()
    assert checker(SIGNED, "next.pdf").status == "incomplete"
    assert _worker_pid(own_pool) != first
    roomy = _checker(own_pool, cpu_seconds=60.0, memory_mib=1024)
    assert roomy(hungry, "hungry.pdf").status == "invalid"  # a field added after signing


def test_a_worker_that_crashes_mid_check_gives_a_crash_verdict(own_pool: sandbox._Pool) -> None:
    """A worker killed by SIGSEGV while it checks: ``unchecked`` with ``limit = "crash"``
    naming the signal (not a CPU timeout, not an exception); the next check runs."""
    checker = _checker(own_pool, cpu_seconds=60.0)
    assert checker(SIGNED, "warm.pdf").status == "incomplete"
    pid = _worker_pid(own_pool)
    costly = costly_pdf(SIGNED)
    threading.Timer(1.0, os.kill, (pid, signal.SIGSEGV)).start()
    verdict = checker(costly, "costly.pdf")
    assert verdict.status == UNCHECKED and verdict.limit == "crash"
    assert verdict.problem is not None and "SIGSEGV" in verdict.problem
    assert checker(SIGNED, "next.pdf").status == "incomplete"
    assert _worker_pid(own_pool) != pid


def test_a_worker_that_died_while_idle_is_replaced_before_the_next_check(
    own_pool: sandbox._Pool,
) -> None:
    """An idle worker killed from outside (say by the OOM killer) is not handed the next
    PDF: that check gets a new worker and a real verdict."""
    checker = _checker(own_pool)
    assert checker(SIGNED, "warm.pdf").status == "incomplete"
    pid = _worker_pid(own_pool)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert checker(SIGNED, "next.pdf").status == "incomplete"
    assert _worker_pid(own_pool) != pid


def test_the_fault_names_only_the_file_it_names(own_pool: sandbox._Pool) -> None:
    """The test fault applies to the file it names; any other file is checked as usual."""
    checker = _checker(own_pool, cpu_seconds=0.5)
    assert checker(SIGNED, "stuck.pdf.other").status == "incomplete"


@pytest.mark.parametrize("value", [0, 255, True, 1.5, "1024"])
def test_check_memory_mib_must_be_a_whole_number_of_at_least_256(value: object) -> None:
    """``[pdf] check_memory_mib`` below 256 MiB, or not a whole number, is a config error."""
    with pytest.raises(ValueError, match="check_memory_mib"):
        PdfConfig(check_memory_mib=value)  # type: ignore[arg-type]
