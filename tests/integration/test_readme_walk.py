"""The README's "Using the hub" walk, command by command, as a user types it (real
processes, the embedded SQLite home, examples/units.csv, `serve --listen`)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
LIENTHONG = str(Path(sys.executable).with_name("lienthong"))
PROVINCE, LONG_XUYEN, UNUSED = "000.00.00.H01", "000.00.01.H01", "000.01.03.H01"


class Shell:
    """``lienthong`` run in one working directory with one environment."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
        self.env["LIENTHONG_HOME"] = str(cwd / "lienthong-data")

    def __call__(self, *args: str, token: str | None = None, ok: bool = True) -> str:
        env = dict(self.env, **({"LIENTHONG_TOKEN": token} if token else {}))
        done = subprocess.run(
            [LIENTHONG, *args], cwd=self.cwd, env=env, capture_output=True, text=True, timeout=60
        )
        assert (done.returncode == 0) == ok, f"lienthong {' '.join(args)}: {done.stderr}"
        return done.stdout + done.stderr


@pytest.fixture
def sh(tmp_path: Path) -> Iterator[Shell]:
    """A working directory with the sample tree and a file to send."""
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.4 Ke hoach 2026\n")
    yield Shell(tmp_path)


def _serve(sh: Shell) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [LIENTHONG, "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=sh.cwd,
        env=sh.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve --listen never answered /healthz")


def test_using_the_hub_as_the_readme_says(sh: Shell) -> None:
    """Every command of the README's walk succeeds, in its order, on a fresh home."""
    sh("init")
    imported = sh("units", "import", str(ROOT / "examples" / "units.csv"))
    assert "36 created, 0 updated, 0 unchanged" in imported
    assert "Hội Nông dân xã Mỹ Hòa Hưng" in sh("units", "list")
    sh("keys", "issue", PROVINCE)
    token = sh("tokens", "create", PROVINCE).strip()
    sh("tokens", "create", "--operator", "thu.nguyen")
    proc, url = _serve(sh)
    try:
        sh.env["LIENTHONG_URL"] = url
        message_id = sh("send", "--to", LONG_XUYEN, "--subject", "Kế hoạch 2026", "plan.pdf",
                        token=token).strip()  # fmt: skip
        receiver = sh("tokens", "create", LONG_XUYEN).strip()
        assert message_id in sh("inbox", "--wait", "5", token=receiver)
        fetched = sh("fetch", message_id, "-o", "received/", token=receiver)
        assert "received/plan.pdf" in fetched
        assert (sh.cwd / "received" / "plan.pdf").read_bytes() == b"%PDF-1.4 Ke hoach 2026\n"
        sh("ack", message_id, "03", token=receiver)
        assert "03 accepted" in sh("inbox", "--wait", "5", "--ack-receipts", token=token)
        assert "accepted" in sh("status", message_id, token=receiver)
        sh("units", "list", "--not-seen-days", "7")
        sh("groups", "add", "000.00.01.G01", "--children-of", LONG_XUYEN, "--name", "Các xã")
        sh("units", "remove", UNUSED)
    finally:
        proc.terminate()
        proc.wait(30)
    assert "(kept)" in sh("keys", "init-ca")
    sh("envelope", "build", "--from", PROVINCE, "--to", LONG_XUYEN, "--subject", "S",
       "plan.pdf", "-o", "env.xml")  # fmt: skip
    sh("envelope", "sign", "--unit", PROVINCE, "env.xml", "-o", "signed.xml")
    assert re.search(r"^OK ", sh("envelope", "verify", "signed.xml"), re.M)
    (sh.cwd / "hub-ca.pem").write_text(sh("keys", "export", "ca"))
    crl = "lienthong-data/keys/crl.pem"
    assert "OK " in sh("envelope", "verify", "--ca", "hub-ca.pem", "--crl", crl, "signed.xml")
    sh("keys", "revoke", PROVINCE)
