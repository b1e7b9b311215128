"""The ``serve --workers`` supervisor, with real child processes (``fork``, for speed)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
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


def _kill_after(pid: int, seconds: float) -> None:
    time.sleep(seconds)
    os.kill(pid, signal.SIGTERM)


def test_workers_failing_at_start_make_it_give_up() -> None:
    """A worker dying at once is started again until three failed starts, then status 1."""
    spawned: list[BaseProcess] = []

    def spawn(slot: int) -> BaseProcess:
        spawned.append(_FORK.Process(target=_exit_at_once))
        return spawned[-1]

    began = time.monotonic()
    status = Supervisor(spawn, 1, min_uptime=5.0, restart_delay=0.05).run()
    assert status == 1
    assert len(spawned) == 3  # the start, two restarts, each a failed start
    assert all(p.exitcode == 3 for p in spawned)
    assert time.monotonic() - began < 5


def test_a_dead_worker_is_replaced_and_sigterm_stops_all_cleanly() -> None:
    """A dead worker is replaced, the other runs on; SIGTERM then stops all with 0."""
    spawned: list[tuple[int, BaseProcess]] = []

    def spawn(slot: int) -> BaseProcess:
        first_of_slot_0 = slot == 0 and not spawned  # the one worker that dies
        process = (
            _FORK.Process(target=_die_after, args=(0.3,))
            if first_of_slot_0
            else _FORK.Process(target=_serve_until_sigterm)
        )
        spawned.append((slot, process))
        return process

    killer = _FORK.Process(target=_kill_after, args=(os.getpid(), 2.0))
    killer.start()
    try:
        status = Supervisor(spawn, 2, min_uptime=0.1, restart_delay=0.05).run()
    finally:
        killer.join()
    assert status == 0
    assert [slot for slot, _ in spawned] == [0, 1, 0]
    assert [p.exitcode for _, p in spawned] == [9, 0, 0]


def test_a_signal_while_a_worker_waits_to_restart_stops_with_0() -> None:
    """SIGTERM while a dead worker waits for its restart: no restart, a clean stop is 0."""
    spawned: list[BaseProcess] = []

    def spawn(slot: int) -> BaseProcess:
        target = _die_after if slot == 0 else _serve_until_sigterm
        spawned.append(_FORK.Process(target=target, args=(0.2,) if slot == 0 else ()))
        return spawned[-1]

    killer = _FORK.Process(target=_kill_after, args=(os.getpid(), 1.5))
    killer.start()
    try:
        status = Supervisor(spawn, 2, min_uptime=0.1, restart_delay=60.0).run()
    finally:
        killer.join()
    assert status == 0
    assert [p.exitcode for p in spawned] == [9, 0]
