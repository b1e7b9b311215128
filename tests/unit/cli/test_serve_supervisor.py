"""The ``serve --workers`` supervisor, with real child processes (``fork``, for speed)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.process import BaseProcess

from gateway.cli.serve_workers import Supervisor

_FORK = multiprocessing.get_context("fork")


def _exit_at_once() -> None:
    sys.exit(3)


def _die_after(seconds: float) -> None:
    time.sleep(seconds)
    os._exit(9)


def _serve_until_sigterm() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(0.05)


def _sigterm_self_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    return timer


def test_workers_failing_at_start_make_it_give_up() -> None:
    """Workers that die at once are started again until three failed starts in a row,
    then the supervisor stops with 1."""
    spawned: list[BaseProcess] = []

    def spawn(slot: int) -> BaseProcess:
        spawned.append(_FORK.Process(target=_exit_at_once))
        return spawned[-1]

    began = time.monotonic()
    status = Supervisor(spawn, 2, min_uptime=5.0, restart_delay=0.05).run()
    assert status == 1
    assert len(spawned) == 3  # two at start, one restart, then the third failed start
    assert all(p.exitcode == 3 for p in spawned)
    assert time.monotonic() - began < 5


def test_a_dead_worker_is_replaced_and_sigterm_stops_all_cleanly() -> None:
    """A worker that dies after its start is replaced (the other keeps running); SIGTERM
    then stops every worker, and a clean stop is status 0 despite the earlier death."""
    spawned: list[tuple[int, BaseProcess]] = []

    def spawn(slot: int) -> BaseProcess:
        first_of_slot_0 = slot == 0 and not spawned
        process = (
            _FORK.Process(target=_die_after, args=(0.3,))
            if first_of_slot_0
            else _FORK.Process(target=_serve_until_sigterm)
        )
        spawned.append((slot, process))
        return process

    timer = _sigterm_self_after(2.0)
    try:
        status = Supervisor(spawn, 2, min_uptime=0.1, restart_delay=0.05).run()
    finally:
        timer.cancel()
    assert status == 0
    assert [slot for slot, _ in spawned] == [0, 1, 0]
    assert [p.exitcode for _, p in spawned] == [9, 0, 0]
