"""Run ``lienthong serve`` as a real OS process, to kill it, stop it and start it again.

A :class:`HubHome` is one LIENTHONG_HOME in a tmp dir with a ``config.toml`` naming a
database and a bus; it provisions the hub the way an operator would, with ``lienthong``
sub-processes (``init``, ``units import``, ``keys issue``, ``tokens create``).
:class:`HubProcess` is one ``lienthong serve`` on that home, on its own free port
(``LIENTHONG_HUB_LISTEN``), so several processes can share one home, database and broker.

Example::

    home = HubHome(tmp_path / "home", database_url=pg_url, bus_url=amqp_url)
    home.provision({"000.00.01.H01": "Huyện A"})
    token = home.tokens["000.00.01.H01"]
    hub = home.process()
    await hub.start()
    ...
    hub.kill()            # SIGKILL: no drain, no flush
    await hub.start()     # the same port again
    await hub.stop()      # SIGTERM, then wait
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

import aiohttp

__all__ = ["LIENTHONG", "HubHome", "HubProcess", "free_port"]

#: The ``lienthong`` entry point of the running venv.
LIENTHONG = str(Path(sys.executable).with_name("lienthong"))
#: Runs several ``lienthong`` commands in one process (see :meth:`HubHome.cli_batch`).
BATCH = Path(__file__).with_name("cli_batch.py")
PASSPHRASE = "reliability-test-passphrase"
HUB_UNIT = "000.00.00.HUB"


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HubHome:
    """One home (config, keys, blobs) that any number of hub processes may share."""

    def __init__(
        self,
        root: Path,
        *,
        database_url: str,
        bus_url: str,
        hub_unit: str = HUB_UNIT,
        extra_config: str = "",
    ) -> None:
        self.root = root
        self.database_url = database_url
        self.bus_url = bus_url
        self.hub_unit = hub_unit
        self.tokens: dict[str, str] = {}
        self._processes = 0
        root.mkdir(parents=True, exist_ok=True)
        (root / "config.toml").write_text(
            f'[hub]\nunit_code = "{hub_unit}"\nrate_per_minute = 10000000\n'
            f'[database]\nurl = "{database_url}"\n'
            f'[bus]\nurl = "{bus_url}"\n{extra_config}',
            encoding="utf-8",
        )

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a ``lienthong`` process on this home (no stray overrides)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
        env.update(LIENTHONG_HOME=str(self.root), LIENTHONG_KEY_PASSPHRASE=PASSPHRASE)
        env.update(extra)
        return env

    def _run(self, argv: list[str], what: str, timeout: float, stdin: str | None = None) -> str:
        """Run ``argv`` on this home; its stdout (a failure raises ``what``, with stderr)."""
        done = subprocess.run(
            argv, input=stdin, env=self.env(), capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{what} failed: {done.stderr.strip()}")
        return done.stdout

    def cli(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``lienthong ARGS`` on this home; its stdout (a failure raises, with stderr)."""
        return self._run([LIENTHONG, *args], f"lienthong {' '.join(args)}", timeout)

    def cli_batch(self, *commands: Sequence[str], timeout: float = 120.0) -> list[str]:
        """Run each ``lienthong ARGS`` of ``commands`` in order, in one process on this home
        (``tests/support/cli_batch.py``: the same entry point, one interpreter start); the
        stdout of each. The first failure raises, with its stderr."""
        stdin = json.dumps([list(c) for c in commands])
        out = self._run([sys.executable, str(BATCH)], "lienthong batch", timeout, stdin)
        results = json.loads(out)
        for argv, result in zip(commands, results, strict=False):
            if result["code"] != 0:
                raise RuntimeError(f"lienthong {' '.join(argv)} failed: {result['err'].strip()}")
        return [str(r["out"]) for r in results]

    def provision(
        self,
        units: Mapping[str, str],
        *,
        keys: bool = True,
        operators: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Init the home, add ``units`` (code → name), issue their keys, make their tokens
        (and an operator token per ``operators`` entry: key in ``tokens`` → operator name)."""
        csv = self.root / "units.csv"
        csv.write_text(
            "code,name,parent\n" + "".join(f"{c},{n},\n" for c, n in units.items()),
            encoding="utf-8",
        )
        # keys issued up front: two processes would otherwise race to issue one
        issue = [("keys", "issue", code) for code in units] if keys else []
        names = [*units, *(operators or {})]
        tokens = [("tokens", "create", code) for code in units]
        tokens += [("tokens", "create", "--operator", name) for name in (operators or {}).values()]
        outs = self.cli_batch(("init",), ("units", "import", str(csv)), *issue, *tokens)
        for name, out in zip(names, outs[len(outs) - len(tokens) :], strict=True):
            self.tokens[name] = out.strip()
        return self.tokens

    def process(
        self,
        port: int | None = None,
        *,
        args: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> HubProcess:
        """A (not yet started) ``lienthong serve ARGS`` on this home (``env``: more
        environment variables for it)."""
        self._processes += 1
        log = self.root / f"serve-{self._processes}.log"
        return HubProcess(self, port or free_port(), log, args, env=env)


class HubProcess:
    """One ``lienthong serve`` process: start, wait for /healthz, SIGKILL, SIGTERM, restart."""

    def __init__(
        self,
        home: HubHome,
        port: int,
        log_path: Path,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.home = home
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.port = port
        self.log_path = log_path
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []
        self._log: IO[bytes] | None = None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self.proc is not None and self.proc.poll() is None

    async def start(self, *, timeout: float = 60.0) -> None:
        """Spawn ``lienthong serve`` and wait until ``/healthz`` answers 200."""
        if self.running:
            raise RuntimeError("already running")
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [LIENTHONG, "serve", "--log-format", "json", *self.args],
            env=self.home.env(LIENTHONG_HUB_LISTEN=f"127.0.0.1:{self.port}", **self.extra_env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pids.append(self.proc.pid)
        await self.wait_healthy(timeout)

    async def wait_healthy(self, timeout: float) -> None:
        """Poll ``/healthz`` until 200; fail with the log's tail if the process dies."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while loop.time() < deadline:
                if not self.running:
                    raise RuntimeError(f"lienthong serve exited:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{self.url}/healthz") as resp:
                        if resp.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"no /healthz within {timeout}s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, whatever it was doing."""
        self._signal(signal.SIGKILL, 10.0)

    async def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait for a graceful exit (SIGKILL after ``timeout``); the exit code."""
        return await asyncio.to_thread(self._signal, signal.SIGTERM, timeout)

    def _signal(self, sig: signal.Signals, timeout: float) -> int | None:
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10.0)
        if self._log is not None:
            self._log.close()
            self._log = None
        return proc.returncode

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of this process's log (for failure messages)."""
        if not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])
