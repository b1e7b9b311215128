"""A private RabbitMQ node for a test that stops, restarts or crashes the broker.

The broker on 5672 is shared by everyone's tests and is never stopped; a test that needs
the broker itself to go away starts its own node with Debian's
``/usr/lib/rabbitmq/bin/rabbitmq-server`` on free ports, in a fresh directory, with its own
node name, configuration and (empty) plugin list. Under root the node runs as the
``rabbitmq`` user, whose Erlang cookie ``rabbitmqctl -n NODE`` uses too.

Example::

    node = PrivateRabbit.create()   # fails loudly when RabbitMQ is not installed
    node.start()
    url = node.url                  # amqp://guest:guest@127.0.0.1:PORT/
    node.stop_app(); node.start_app()
    node.destroy()
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from support.hubproc import free_port

__all__ = ["PrivateRabbit"]

_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")


class PrivateRabbit:
    """One throw-away node: ``create``, ``start``, ``stop_app``, ``start_app``, ``destroy``."""

    def __init__(self, root: Path, port: int, dist_port: int) -> None:
        self.root = root
        self.port = port
        self.dist_port = dist_port
        self.node = f"lt_priv_{secrets.token_hex(4)}@localhost"

    @classmethod
    def create(cls) -> PrivateRabbit:
        """A fresh directory and two free ports (AMQP and Erlang distribution)."""
        assert _SERVER.exists(), f"RabbitMQ is not installed ({_SERVER} missing)"
        root = Path(tempfile.mkdtemp(prefix="lt_rabbit_"))
        node = cls(root, free_port(), free_port())
        (root / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{node.port}\nloopback_users = none\n"
        )
        (root / "env.conf").write_text("")
        (root / "enabled_plugins").write_text("[].\n")
        if os.geteuid() == 0:
            shutil.chown(root, "rabbitmq", "rabbitmq")
            for path in root.iterdir():
                shutil.chown(path, "rabbitmq", "rabbitmq")
        return node

    @property
    def url(self) -> str:
        """The AMQP URL of the node's default vhost (guest/guest)."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        return {
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def start(self) -> None:
        """Boot the node and wait until it accepts work."""
        env = " ".join(f"{k}={v}" for k, v in self._env().items())
        command = f"cd {self.root} && env {env} {_SERVER} -detached"
        if os.geteuid() == 0:
            subprocess.run(["su", "rabbitmq", "-s", "/bin/sh", "-c", command], check=True)
        else:
            subprocess.run(["/bin/sh", "-c", command], check=True)
        self._await_node(deadline=time.monotonic() + 180)

    def _await_node(self, deadline: float) -> None:
        """``-detached`` returns before the node registers with epmd, and ``await_startup``
        fails at once for a node it cannot reach yet: ask again until the deadline."""
        while True:
            try:
                self.ctl("await_startup", timeout=120)
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def ctl(self, *args: str, timeout: float = 120) -> str:
        """``rabbitmqctl -n NODE ARGS``; its stdout (fails loudly)."""
        done = subprocess.run(
            ["rabbitmqctl", "-n", self.node, *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return done.stdout

    def stop_app(self) -> None:
        """Stop the RabbitMQ application: every connection drops, the node stays up."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        """Start the application again and wait for it."""
        self.ctl("start_app")
        self.ctl("await_startup")

    def destroy(self) -> None:
        """Halt the node and remove its directory."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.ctl("stop", timeout=60)  # fails only when already down
        shutil.rmtree(self.root, ignore_errors=True)
