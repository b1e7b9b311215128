"""Summing py-spy's collapsed stacks: idle threads left out, the hub's own code inclusive."""

from __future__ import annotations

from pathlib import Path

from bench.profile import top

SIGN = "sign_element (gateway/envelope/signing.py:40)"
MAIN = "<module> (<string>:1);main (gateway/cli/__init__.py:75);run (asyncio/runners.py:190)"


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "profile.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_idle_threads_are_left_out_and_shares_are_of_working_samples(tmp_path: Path) -> None:
    """A thread waiting in its pool or in epoll does not count; shares sum over the rest."""
    path = _write(
        tmp_path,
        [
            f"{MAIN};submit (gateway/api/routes_messages.py:90);{SIGN} 6",
            f"{MAIN};mailbox (gateway/api/routes_mailbox.py:30);dumps (json/__init__.py:231) 2",
            "thread (1);_bootstrap (threading.py:995);_worker (concurrent/futures/thread.py:81) 50",
            f"{MAIN};EpollSelector.select (/usr/lib/python3.11/selectors.py:468) 40",
        ],
    )
    summary = top(path)
    assert summary["samples"] == 8 and summary["idle_samples"] == 90
    assert summary["self"][0] == ("sign_element (envelope/signing.py)", 75.0)
    inclusive = dict(summary["inclusive"])
    assert inclusive["submit (api/routes_messages.py)"] == 75.0
    assert inclusive["mailbox (api/routes_mailbox.py)"] == 25.0
    assert not any("cli/" in name or "asyncio" in name for name in inclusive)


def test_an_empty_profile_gives_no_summary(tmp_path: Path) -> None:
    """Nothing sampled (the hub was idle): an empty summary, not a division by zero."""
    assert top(_write(tmp_path, [])) == {}


def test_aiosqlite_waiting_and_pieces_of_the_process_title_are_not_work(tmp_path: Path) -> None:
    """aiosqlite's thread blocked on its queue is idle; a ``;`` in the title is no frame."""
    title = 'process 7:"python -c from gateway.cli import main; main() serve"'
    worker = "Thread.run (threading.py:982);_connection_worker_thread (aiosqlite/core.py"
    path = _write(
        tmp_path,
        [
            f"{title};{worker}:59) 30",
            f"{title};{worker}:63) 3",
            f"{title} 5",
            f"{title};{MAIN};submit (gateway/api/routes_messages.py:90);{SIGN} 1",
        ],
    )
    summary = top(path)
    assert summary["samples"] == 4 and summary["idle_samples"] == 30
    assert dict(summary["self"]) == {
        "_connection_worker_thread (aiosqlite/core.py)": 75.0,
        "sign_element (envelope/signing.py)": 25.0,
    }
