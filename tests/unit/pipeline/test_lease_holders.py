"""Outbox lease holders: which ones a starting hub process may hand back (issue 21 item 12)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from gateway.pipeline.relay import holder_is_gone, worker_name


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_worker_names_are_host_pid_and_a_tag() -> None:
    """``host:pid:tag``, a new tag for each name."""
    host, pid, tag = worker_name().split(":")
    assert (host, pid) == (socket.gethostname(), str(os.getpid()))
    assert len(tag) == 6 and worker_name() != worker_name()


def test_only_gone_processes_of_this_host_are_gone() -> None:
    """A dead pid of this host, or an earlier process with this process's pid, is gone;
    this process, a live process, another host and a malformed name are not."""
    me = worker_name()
    host = socket.gethostname()
    assert holder_is_gone(f"{host}:{_dead_pid()}:abcdef", me)
    assert holder_is_gone(f"{host}:{os.getpid()}:000000", me)
    assert not holder_is_gone(me, me)
    assert not holder_is_gone(f"{host}:{os.getppid()}:abcdef", me)
    assert not holder_is_gone(f"another-{host}:{_dead_pid()}:abcdef", me)
    assert not holder_is_gone("not a holder name", me)
