"""Run several ``lienthong`` commands in one process, one after the other.

A test home is set up with a dozen commands (``init``, ``units import``, ``keys issue``,
``tokens create``…); as separate processes each pays the interpreter's start and the
gateway's imports again, which made setting a home up the slowest part of many tests.
This runs the same entry point (:func:`gateway.cli.main`) for each command, in order, in
one process, with each command's own stdout, stderr and exit code; it stops at the first
command that fails.

Usage: ``python cli_batch.py`` with a JSON list of argument lists on stdin; prints a JSON
list of ``{"code": int, "out": str, "err": str}``, one per command run.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def run(commands: list[list[str]]) -> list[dict[str, object]]:
    """Each command's exit code and output, up to and including the first failure."""
    from gateway.cli import main

    results: list[dict[str, object]] = []
    for argv in commands:
        out, err = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
        if code != 0:
            break
    return results


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
