"""The ``lienthong demo`` and ``lienthong serve`` commands, run as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

LIENTHONG = [sys.executable, "-c", "from gateway.cli import main; main()"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env["LIENTHONG_HOME"] = str(home)
    env["LIENTHONG_KEY_PASSPHRASE"] = "test-passphrase"
    env["COLUMNS"] = "120"
    return env


@pytest.mark.slow
def test_demo_runs_end_to_end_and_checks_itself(tmp_path: Path):
    """`lienthong demo --documents 30` exits 0 with a summary: nothing lost, nothing twice."""
    proc = subprocess.run(
        [*LIENTHONG, "demo", "--documents", "30", "--timeout", "150"],
        cwd=tmp_path,
        env=_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "documents sent" in out and "30" in out
    assert "receipts 06 completed" in out
    for line in out.splitlines():
        if "duplicates" in line or "lost or unfinished" in line:
            assert line.rstrip(" │|").split()[-1] == "0", line
    assert "OK" in out.splitlines()[-2] or " OK " in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return int(resp.status)


def test_serve_answers_and_stops_cleanly_on_sigterm(tmp_path: Path):
    """`lienthong serve` on a new home serves /healthz, and SIGTERM ends it with exit 0."""
    port = _free_port()
    env = _env(tmp_path / "home") | {"LIENTHONG_HUB_LISTEN": f"127.0.0.1:{port}"}
    proc = subprocess.Popen(
        [*LIENTHONG, "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status is None:
            try:
                status = _get(f"http://127.0.0.1:{port}/healthz")
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert status == 200
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err[-2000:]
        assert '"event": "hub.stopped"' in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
