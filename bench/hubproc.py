"""A ``lienthong serve`` subprocess on a prepared home: start, wait until ready, measure, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import IO

from bench.common import PASSPHRASE, cpu_seconds, python, rss_mib

SERVE = ["-c", "from gateway.cli import main; main()", "serve", "--log-level", "WARNING"]


class HubProcess:
    """One hub process; ``startup_seconds`` is spawn → first ``/healthz`` 200."""

    def __init__(self, home: Path, port: int, *, extra_env: dict[str, str] | None = None) -> None:
        self.home = home
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        """The hub's process id."""
        assert self.proc is not None
        return self.proc.pid

    def rss_mib(self) -> float:
        """The hub's resident memory now."""
        return rss_mib(self.pid)

    def cpu_seconds(self) -> float:
        """CPU time the hub has used so far."""
        return cpu_seconds(self.pid)

    def start(self, timeout: float = 300.0) -> HubProcess:
        """Spawn and wait for ``/healthz``; raise with the log tail if it dies or hangs."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
        env.update({"LIENTHONG_HOME": str(self.home), "LIENTHONG_KEY_PASSPHRASE": PASSPHRASE})
        env.update(self.extra_env)
        self._log = (self.home / "serve.log").open("wb")
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            [python(), *SERVE], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = began + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited {self.proc.returncode}: {self.log_tail()}")
            if self._healthy():
                self.startup_seconds = time.perf_counter() - began
                return self
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the hub was not ready in {timeout} s: {self.log_tail()}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=1) as resp:
                return int(resp.status) == 200
        except OSError:
            return False

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the hub's log."""
        with contextlib.suppress(OSError):
            return (self.home / "serve.log").read_text(errors="replace")[-chars:]
        return ""

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM (graceful drain), then SIGKILL if it lingers."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> HubProcess:
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
