"""A private PostgreSQL cluster for a test that stops, restarts or crashes the server.

The cluster on 5432 is shared by everyone's tests and is never stopped; a test that needs
the server itself to go away starts its own with ``initdb`` and ``pg_ctl`` from
``/usr/lib/postgresql/*/bin`` on a free port, in a fresh directory, with trust
authentication on loopback only. PostgreSQL refuses to run as root: under root the
commands run as the ``postgres`` user (``runuser``).

Example::

    cluster = PgCluster.create()          # skips the test when PostgreSQL is not installed
    cluster.start()
    url = cluster.url("lienthong")        # postgresql+asyncpg://postgres@127.0.0.1:PORT/lienthong
    cluster.restart()                     # pg_ctl restart -m fast
    cluster.destroy()
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from support.hubproc import free_port

__all__ = ["PgCluster"]


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class PgCluster:
    """One throw-away cluster: ``create``, ``start``, ``stop``, ``restart``, ``destroy``."""

    def __init__(self, bin_dir: Path, root: Path, port: int, user: str | None) -> None:
        self.bin_dir = bin_dir
        self.root = root
        self.data = root / "data"
        self.port = port
        self._user = user

    @classmethod
    def create(cls) -> PgCluster:
        """``initdb`` a new cluster in a fresh directory (``pytest.skip`` without PostgreSQL)."""
        bin_dir = _bin_dir()
        if bin_dir is None:
            pytest.skip("PostgreSQL server binaries are not installed")
        user = None
        root = Path(tempfile.mkdtemp(prefix="lt-pg-"))
        if os.geteuid() == 0:
            user = "postgres"
            entry = pwd.getpwnam(user)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(bin_dir, root, free_port(), user)
        cluster._run("initdb", "-D", str(cluster.data), "-U", "postgres", "--auth=trust", "-N")
        return cluster

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL for ``database`` on this cluster."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def dsn(self) -> str:
        """An asyncpg DSN for the ``postgres`` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: active sessions are terminated; ``immediate``: a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: the sessions are cut and the server comes back."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        """Stop the server if it runs and remove its files."""
        subprocess.run(
            self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        return ["runuser", "-u", self._user, "--", *command] if self._user else command

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            self._command(program, *args), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stderr.strip() or done.stdout.strip()}")
