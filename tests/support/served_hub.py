"""``lienthong serve`` as a real subprocess on PostgreSQL + RabbitMQ, with adapters configured.

The world: a province office P with units A (an office system on the axis API), B (a
legacy system on a drop folder), C and D (plain HTTP endpoints with bearer tokens).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from tests.support.services import PG_ADMIN_DSN

P, A, B, C, D = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01", "000.00.03.H01", "000.00.04.H01"
AXIS_SYSTEM = "office-a"
SECRET_ENV = "LT_TEST_AXIS_OFFICE_A"
SAMPLES = Path(__file__).parents[1] / "fixtures/edxml/truclienthong-example/resources"
LIENTHONG = Path(sys.executable).parent / "lienthong"


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningHub:
    """A ``lienthong serve`` subprocess, its home and the callers' tokens."""

    url: str
    home: Path
    drop: Path
    secret: str
    proc: subprocess.Popen[bytes]
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, unit: str) -> dict[str, str]:
        """Headers authenticating as ``unit``."""
        return {"Authorization": f"Bearer {self.tokens[unit]}"}

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then the exit status (the process is killed if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    async def send(self, session: aiohttp.ClientSession, sender: str, to: str) -> str:
        """Submit a one-file document over the API; the message id."""
        form = aiohttp.FormData()
        meta = f'{{"to": ["{to}"], "subject": "Công văn qua serve"}}'
        form.add_field("metadata", meta, content_type="application/json")
        form.add_field("file", b"noi dung " * 50, filename="cv.pdf", content_type="application/pdf")
        async with session.post(
            f"{self.url}/api/v1/messages", data=form, headers=self.auth(sender)
        ) as resp:
            assert resp.status == 202, await resp.text()
            return str((await resp.json())["id"])

    async def wait_item(
        self, session: aiohttp.ClientSession, unit: str, message_id: str | None = None
    ) -> dict[str, Any]:
        """The first document in ``unit``'s mailbox (``message_id``'s if given), long-polling."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            async with session.get(
                f"{self.url}/api/v1/mailbox?wait=2", headers=self.auth(unit)
            ) as resp:
                assert resp.status == 200, await resp.text()
                for item in (await resp.json())["items"]:
                    if item["kind"] == "document" and message_id in (None, item["message_id"]):
                        return dict(item)
        raise AssertionError(f"nothing for {unit} in 20 s")


async def _create_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop_database(name: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _directory(pg_url: str) -> dict[str, str]:
    """Migrate, add the units, and make a token for each plain endpoint."""
    from gateway.directory import Directory
    from gateway.store import Database

    db = Database(pg_url)
    try:
        await db.upgrade()
        directory = Directory(db)
        await directory.add(P, "Văn phòng tỉnh")
        for code, name in ((A, "Sở A"), (B, "Sở B"), (C, "Sở C"), (D, "Sở D")):
            await directory.add(code, name, P)
        return {unit: await directory.create_token(unit) for unit in (C, D)}
    finally:
        await db.dispose()


def _config(tmp: Path, port: int, pg_url: str, amqp_url: str, drop: Path) -> str:
    return f"""
[hub]
listen = "127.0.0.1:{port}"

[database]
url = "{pg_url}"

[bus]
url = "{amqp_url}"

[[adapters]]
name = "axis"
unit = "{A}"
options = {{ system_id = "{AXIS_SYSTEM}", secret_env = "{SECRET_ENV}" }}

[[adapters]]
name = "folder"
unit = "{B}"
options = {{ path = "{drop}", settle_ms = 0, wait = 1, poll_interval = 0.2 }}
"""


def start_hub(
    tmp: Path, pg_url: str, amqp_url: str, *args: str, tokens: dict[str, str]
) -> RunningHub:
    """Write a home with a config, start ``lienthong serve ARGS`` and wait for /healthz."""
    home, drop, port = tmp / "home", tmp / "drop-b", free_port()
    home.mkdir()
    (home / "config.toml").write_text(_config(tmp, port, pg_url, amqp_url, drop))
    secret = secrets.token_urlsafe(32)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env |= {
        "LIENTHONG_HOME": str(home),
        "LIENTHONG_KEY_PASSPHRASE": "test-pass",
        SECRET_ENV: secret,
    }
    log = tmp / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(LIENTHONG), "serve", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    hub = RunningHub(f"http://127.0.0.1:{port}", home, drop, secret, proc, log, tokens)
    _wait_healthy(hub)
    return hub


def _wait_healthy(hub: RunningHub) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if hub.proc.poll() is not None:
            raise AssertionError(f"serve exited {hub.proc.returncode}:\n{hub.log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", int(hub.url.rsplit(":", 1)[1])), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    hub.stop()
    raise AssertionError(f"serve did not listen in 60 s:\n{hub.log.read_text()}")


def edxml_from_b_to_c() -> bytes:
    """A real edXML sample, re-addressed from B (the folder unit) to C."""
    text = (SAMPLES / "edoc_new.edxml").read_text(encoding="utf-8")
    # the DocumentId names its issuer, which must be the sender (edxml.bad_document_id)
    text = text.replace("000.00.00.G22,2015/09/30", f"{B},2015/09/30")
    return text.replace("000.00.00.A80", B).replace("28.22.H17", C).encode()
