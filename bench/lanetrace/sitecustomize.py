"""Traces the hub's write lane; loaded into the hub by ``python -m bench e2e --trace-lane``.

``bench`` puts this directory first on the hub's ``PYTHONPATH`` and names a file prefix in
``LIENTHONG_BENCH_LANE_TRACE``; Python then imports this module at start. It wraps
:meth:`gateway.store.group_commit.GroupCommit._together` (a turn), the prepared
statements' driver calls (``gateway.store.prepared._asyncpg`` and ``_sqlite``) and
asyncpg's ``Transaction.start``/``commit`` (``BEGIN`` and ``COMMIT``), and appends one
JSON line per turn to ``PREFIX.PID.jsonl``: its start (``time.monotonic``, the same clock
in every process), its wall time, its writes, and each round trip's first words and wall
time (from the call until the lane resumes, so the event loop's lag is in it). Never
loaded by the hub itself: a development tool, like ``--profile``.
"""

from __future__ import annotations

import contextvars
import json
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

_PREFIX = os.environ.get("LIENTHONG_BENCH_LANE_TRACE", "")
_TURN: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "lane_turn", default=None
)


def _timed(name: Callable[..., str], call: Callable[..., Awaitable[Any]]) -> Any:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        turn = _TURN.get()
        began = time.monotonic()
        try:
            return await call(*args, **kwargs)
        finally:
            if turn is not None:
                turn["rts"].append((name(*args), time.monotonic() - began))

    return wrapper


def _words(sql: str) -> str:
    return " ".join(sql.split()[:4])[:48]


def _install() -> None:
    from asyncpg.transaction import Transaction

    import gateway.store.group_commit as group_commit
    import gateway.store.prepared as prepared

    out = open(f"{_PREFIX}.{os.getpid()}.jsonl", "a", buffering=1)  # noqa: SIM115
    for driver in ("_asyncpg", "_sqlite"):
        original = getattr(prepared, driver)
        setattr(prepared, driver, _timed(lambda _a, sql, *_r: _words(sql), original))
    Transaction.start = _timed(lambda *_: "BEGIN", Transaction.start)  # type: ignore[method-assign]
    Transaction.commit = _timed(lambda *_: "COMMIT", Transaction.commit)  # type: ignore[method-assign]
    together = group_commit.GroupCommit._together

    async def traced(self: Any, group: list[Any]) -> Any:
        turn: dict[str, Any] = {"t0": time.monotonic(), "n": len(group), "rts": []}
        token = _TURN.set(turn)
        try:
            return await together(self, group)
        finally:
            _TURN.reset(token)
            turn["dur"] = time.monotonic() - turn["t0"]
            out.write(json.dumps(turn) + "\n")

    group_commit.GroupCommit._together = traced  # type: ignore[method-assign]


if _PREFIX:
    _install()
