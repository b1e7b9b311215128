"""The same cycle driven by a Java stand-in of the SDK (tests/standins/java/VxpSdkCall.java:
java.util.HashMap, Gson, commons-codec, Apache HttpClient 4, HttpURLConnection), over HTTP.

The libraries come from Debian's packages (``/usr/share/java``, installed by ``.ci/run``)
or Maven's local repository. Outside CI the test is skipped where no JDK or no copy of
those libraries is found (the Python stand-in, test_vxp_flow.py, covers the protocol
everywhere); under CI (``CI=true``) that is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.standins.office import document_edxml, parse_received, status_edxml
from tests.support.axis_world import A, AxisWorld, B

_SOURCE = Path(__file__).parents[2] / "standins" / "java" / "VxpSdkCall.java"
_M2 = Path.home() / ".m2" / "repository"
_DEBIAN = Path("/usr/share/java")
#: The same libraries as Debian installs them (libgoogle-gson-java, libhttpclient-java, …).
_DEBIAN_JARS = {
    "gson": "gson.jar",
    "httpclient": "httpclient.jar",
    "httpcore": "httpcore.jar",
    "codec": "commons-codec.jar",
    "logging": "commons-logging.jar",
}
_JARS = {
    "gson": "com/google/code/gson/gson/*/gson-*.jar",
    "httpclient": "org/apache/httpcomponents/httpclient/4.*/httpclient-4.*.jar",
    "httpcore": "org/apache/httpcomponents/httpcore/4.*/httpcore-4.*.jar",
    "codec": "commons-codec/commons-codec/*/commons-codec-*.jar",
    "logging": "commons-logging/commons-logging/*/commons-logging-*.jar",
}
_VN = timezone(timedelta(hours=7))


def _classpath() -> str | None:
    debian = [_DEBIAN / name for name in _DEBIAN_JARS.values()]
    if all(jar.exists() for jar in debian):
        return ":".join(str(jar) for jar in debian)
    jars = []
    for pattern in _JARS.values():
        found = sorted(p for p in _M2.glob(pattern) if not p.name.endswith("-sources.jar"))
        if not found:
            return None
        jars.append(str(found[-1]))
    return ":".join(jars)


@pytest.fixture
def backends(sqlite_url: str) -> tuple[str, str]:
    """The Java client checks the wire, not the backend: the embedded one."""
    return sqlite_url, "local://"


@pytest.fixture(scope="module")
def java_client(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The compiled stand-in: (classpath, classes dir)."""
    classpath = _classpath()
    if shutil.which("javac") is None or shutil.which("java") is None or classpath is None:
        missing = "no JDK, or Gson / HttpClient 4 / commons-codec in /usr/share/java or ~/.m2"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}: .ci/run installs them")
        pytest.skip(missing)
    out = tmp_path_factory.mktemp("java")
    subprocess.run(
        ["javac", "-d", str(out), "-cp", classpath, str(_SOURCE)],
        check=True,
        capture_output=True,
    )
    return classpath, out


class JavaSdk:
    """One running Java SDK object, driven line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def call(self, operation: str, headers: dict[str, Any], extra: str = "") -> Any:
        """One SDK call; the answer body, parsed."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        line = "\t".join([operation, json.dumps(headers), *([extra] if extra else [])])
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()
        answer = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        return json.loads(answer)


@pytest.fixture
async def java_sdks(
    axis_world: AxisWorld, java_client: tuple[str, Path]
) -> AsyncIterator[dict[str, JavaSdk]]:
    """A Java SDK process for office-a and one for office-b."""
    classpath, classes = java_client
    sdks = {}
    for unit, system in ((A, "office-a"), (B, "office-b")):
        proc = await asyncio.create_subprocess_exec(
            "java",
            "-cp",
            f"{classes}:{classpath}",
            "VxpSdkCall",
            f"{axis_world.url}/vxp",
            system,
            axis_world.secrets[unit],
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        sdks[unit] = JavaSdk(proc)
    try:
        yield sdks
    finally:
        for sdk in sdks.values():
            if sdk.proc.stdin is not None:
                sdk.proc.stdin.close()
            await sdk.proc.wait()


async def _listed(sdk: JavaSdk, kind: str, count: int) -> list[dict[str, Any]]:
    for _ in range(100):
        answer = await sdk.call("getReceivedEdocList", {"servicetype": "eDoc", "messagetype": kind})
        assert answer["ErrorCode"] == "0", answer
        if len(answer["data"]) >= count:
            return list(answer["data"])
        await asyncio.sleep(0.1)
    raise AssertionError(f"fewer than {count} {kind} items listed")


async def test_java_sdk_calls_complete_the_cycle(
    java_sdks: dict[str, JavaSdk], tmp_path: Path
) -> None:
    """send → list → get → updateStatus done → 03 reply → A gets it → getSentEdocList."""
    a, b = java_sdks[A], java_sdks[B]
    now = datetime.now(UTC).astimezone(_VN)
    document_id = f"{A},{now:%Y/%m/%d},21/VP-java"
    edoc = tmp_path / "edoc.edxml"
    edoc.write_bytes(
        document_edxml(
            sender=A,
            sender_name="Huyện 1",
            to=[B],
            document_id=document_id,
            subject="Văn bản từ SDK Java",
            number="21",
            notation="VP",
            files=[],
            at=now,
        )
    )
    sent = await a.call(
        "sendEdoc", {"from": A, "servicetype": "eDoc", "messagetype": "edoc", "to": [B]}, str(edoc)
    )
    assert (sent["status"], sent["ErrorCode"]) == ("OK", "0"), sent

    [row] = await _listed(b, "edoc", 1)
    got = await b.call("getEdoc", {"filePath": "xml", "docId": row["docId"]})
    doc = parse_received(row["docId"], "edoc", base64.b64decode(got["data"]))
    assert (doc.document_id, doc.subject) == (document_id, "Văn bản từ SDK Java")
    done = await b.call("updateStatus", {"status": "done", "docId": row["docId"]})
    assert done["ErrorCode"] == "0", done

    status = tmp_path / "status.edxml"
    status.write_bytes(
        status_edxml(
            sender=B,
            sender_name="Huyện 2",
            document_id=document_id,
            response_organ=A,
            code="03",
            description=None,
            at=now,
        )
    )
    reply = await b.call("sendEdoc", {"from": B, "messagetype": "status"}, str(status))
    assert reply["ErrorCode"] == "0", reply

    codes = []
    for item in await _listed(a, "status", 2):
        got = await a.call("getEdoc", {"filePath": "xml", "docId": item["docId"]})
        codes.append(parse_received(item["docId"], "status", base64.b64decode(got["data"])))
        assert (await a.call("updateStatus", {"status": "done", "docId": item["docId"]}))[
            "ErrorCode"
        ] == "0"
    assert sorted(s.status_code or "" for s in codes) == ["01", "03"]
    rows = await a.call("getSentEdocList", {"servicetype": "eDoc", "docId": sent["DocId"]})
    assert [(r["toCode"], r["receiveStatus"]) for r in rows["data"]] == [(B, "03")]
    count = await a.call("countReceiveStatus", {})
    assert (count["ErrorCode"], count["count"]) == ("0", 0)
