"""Schemathesis over every operation of the served OpenAPI document, against a running hub.

The hub is a real ``lienthong serve`` process (SQLite + local bus) with an axis system
registered, two units that have exchanged a document, and an operator. Every operation the
hub's ``/api/openapi.json`` lists is fuzzed (valid and invalid inputs, derandomized, a
fixed number of examples each), once as the unit and once as the operator (on ``/axis``:
the unit's office system with its ``ax1.`` token, the operator's token, which axis must
refuse, and no token, the generated ``X-Axis-*`` headers of a signed request instead).
Any 5xx fails; every 4xx must be ``{"error": {"code", "message"}}`` with a registered
code.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st

from adapters.axis.vxp_routes import OPERATIONS as VXP_OPERATIONS
from gateway.api.openapi import openapi_document
from gateway.errors import ERROR_CODES
from tests.standins.vxp_sdk import gson_object
from tests.support.hubproc import HubHome, HubProcess
from tests.support.rabbit import add_vhost, delete_vhost_later
from tests.support.services import PG_ADMIN_DSN, amqp_url_for

pytestmark = pytest.mark.slow

PROV, A, B = "000.00.00.H01", "000.00.01.H01", "000.00.02.H01"
AXIS_SYSTEM = "fuzz-office-a"
#: examples per operation in the fuzzing phase (the coverage phase adds its own cases);
#: LT_FUZZ_EXAMPLES=300 LT_FUZZ_SEED=7 runs a longer or another fuzz locally
MAX_EXAMPLES = int(os.environ.get("LT_FUZZ_EXAMPLES", "25"))
SEED = int(os.environ.get("LT_FUZZ_SEED", "21"))
#: LT_FUZZ_STACK=postgresql runs the hub on PostgreSQL + RabbitMQ (CI: SQLite + local bus)
STACK = os.environ.get("LT_FUZZ_STACK", "sqlite")
#: LT_FUZZ_LOG=FILE appends each request's caller, operation, status and answer
LOG = os.environ.get("LT_FUZZ_LOG")
#: a long-poll that waits for nothing only slows the run: valid waits are cut to this
SHORT_WAIT = "0.05"
TIMEOUT = 15.0


@dataclass
class FuzzedHub:
    """The running hub, its credentials, and ids the fuzzer may pick from."""

    url: str
    tokens: dict[str, str]
    ids: dict[str, list[str]]
    axis_secret: str

    def headers(self, who: str, path: str) -> dict[str, str]:
        """``who``'s Authorization header for ``path`` (axis routes take the axis token)."""
        if who == "unit" and path.startswith("/axis/"):
            return {"Authorization": f"Bearer {self.tokens['axis']}"}
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _secret_file(directory: Path) -> Path:
    path = directory / "axis.secret"
    path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    path.chmod(0o600)
    return path


def _send(url: str, token: str, to: str) -> str:
    meta = {"to": [to], "subject": "Công văn để thử"}
    files = {
        "metadata": (None, json.dumps(meta), "application/json"),
        "file": ("bao-cao.pdf", b"noi dung " * 50, "application/pdf"),
    }
    auth = {"Authorization": f"Bearer {token}"}
    resp = requests.post(f"{url}/api/v1/messages", files=files, headers=auth, timeout=TIMEOUT)
    assert resp.status_code == 202, resp.text
    return str(resp.json()["id"])


def _axis_token(url: str, secret: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": AXIS_SYSTEM, "client_secret": secret}
    resp = requests.post(f"{url}/axis/oauth/token", data=form, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def _item_ids(url: str, token: str) -> list[str]:
    auth = {"Authorization": f"Bearer {token}"}
    resp = requests.get(f"{url}/api/v1/mailbox?wait=5", headers=auth, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return [str(item["item_id"]) for item in resp.json()["items"]]


def _doc_ids(url: str, token: str) -> list[str]:
    auth = {"Authorization": f"Bearer {token}"}
    resp = requests.get(f"{url}/axis/v1/edocs", headers=auth, timeout=TIMEOUT)
    assert resp.status_code == 200, resp.text
    return [str(item["docId"]) for item in resp.json()["items"]]


async def _pg_database(name: str, *, drop: bool = False) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        sql = (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            if drop
            else f'CREATE DATABASE "{name}"'
        )
        await admin.execute(sql)
    finally:
        await admin.close()


@contextmanager
def _stack(root: Path) -> Iterator[tuple[str, str]]:
    """(database url, bus url): SQLite + local bus, or with LT_FUZZ_STACK=postgresql a
    fresh PostgreSQL database and RabbitMQ vhost (removed afterwards)."""
    if STACK != "postgresql":
        yield f"sqlite+aiosqlite:///{root / 'hub.db'}", "local://"
        return
    name = f"lt_test_fuzz_{secrets.token_hex(6)}"
    asyncio.run(_pg_database(name))
    add_vhost(name)
    try:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}", amqp_url_for(name)
    finally:
        delete_vhost_later(name)
        asyncio.run(_pg_database(name, drop=True))


@pytest.fixture(scope="module")
def fuzzed_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedHub]:
    """A ``lienthong serve`` (SQLite + local bus by default); A and B have sent each other
    a document."""
    root = tmp_path_factory.mktemp("fuzz")
    with _stack(root) as (database_url, bus_url):
        yield from _serve(root, database_url, bus_url)


def _serve(root: Path, database_url: str, bus_url: str) -> Iterator[FuzzedHub]:
    """Provision a home on that stack, start ``lienthong serve``, exchange two documents."""
    secret = _secret_file(root)
    axis = (
        f'[[adapters]]\nname = "axis"\nunit = "{A}"\n'
        f'options = {{ system_id = "{AXIS_SYSTEM}", secret_file = "{secret}", token_ttl = 3600 }}\n'
    )
    home = HubHome(root / "home", database_url=database_url, bus_url=bus_url, extra_config=axis)
    tokens = dict(home.provision({PROV: "Văn phòng tỉnh", A: "Huyện A", B: "Huyện B"}))
    operator = home.cli("tokens", "create", "--operator", "fuzz").strip()
    hub: HubProcess = home.process()
    asyncio.run(hub.start())
    try:
        sent = _send(hub.url, tokens[A], B)
        received = _send(hub.url, tokens[B], A)
        creds = {
            "unit": tokens[A],
            "operator": operator,
            "axis": _axis_token(hub.url, secret.read_text(encoding="utf-8")),
        }
        ids = {
            "id": [sent, received],
            "message_id": [sent, received],
            "name": ["bao-cao.pdf"],
            "item_id": _item_ids(hub.url, tokens[A]),
            "doc_id": _doc_ids(hub.url, creds["axis"]),
        }
        REAL_IDS.update(ids)
        yield FuzzedHub(hub.url, creds, ids, secret.read_text(encoding="utf-8"))
    finally:
        asyncio.run(hub.stop())


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
#: the document the hub serves (``test_the_fuzzed_document_is_the_served_one`` checks it)
schema = schemathesis.openapi.from_dict(copy.deepcopy(openapi_document()), config=CONFIG)
#: real ids for path parameters, filled in once the hub is running
REAL_IDS: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Sometimes a real id in place of a generated one, so the fuzzer reaches past 404."""
    if not path_parameters:
        return st.just(path_parameters)
    each = {
        name: st.sampled_from([*REAL_IDS.get(name, []), value])
        for name, value in path_parameters.items()
    }
    return st.fixed_dictionaries(each)


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    """Sometimes a real recipient in submitted metadata, so the fuzzer reaches past routing."""
    metadata = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        return st.just(body)
    return st.sampled_from([{**body, "metadata": {**metadata, "to": [B]}}, body])


@schema.hook
def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> Any:
    """Sometimes the real axis system and a current time, so a signed request gets as far
    as its nonce and signature."""
    if not headers or "X-Axis-SystemId" not in headers:
        return st.just(headers)
    real = {"X-Axis-SystemId": AXIS_SYSTEM, "X-Axis-Timestamp": str(int(time.time()))}
    return st.sampled_from([{**headers, **real}, headers])


def test_the_fuzzed_document_is_the_served_one(fuzzed_hub: FuzzedHub) -> None:
    """The hub serves at /api/openapi.json the operations the fuzzer walks."""
    resp = requests.get(f"{fuzzed_hub.url}/api/openapi.json", timeout=TIMEOUT)
    assert resp.status_code == 200
    assert resp.json()["paths"] == json.loads(json.dumps(openapi_document()["paths"]))


def _short_waits(case: Any) -> None:
    """A valid long-poll ``wait`` is cut short (the fuzzer would otherwise sleep 30 s)."""
    query = case.query or {}
    try:
        if float(query.get("wait", "")) > float(SHORT_WAIT):
            query["wait"] = SHORT_WAIT
    except (TypeError, ValueError):
        return


def _check(case: Any, who: str, response: Any) -> None:
    status = response.status_code
    if LOG:  # what the fuzzer reached: one line per request
        with Path(LOG).open("a", encoding="utf-8") as log:
            print(who, case.method, case.path, status, response.content[:100], sep="\t", file=log)
    where = f"{who}: {case.method} {case.formatted_path} -> {status}\n{case.as_curl_command()}"
    body = response.content[:500]
    if case.path == "/readyz" and status == 503:  # documented: not ready (yet), not a fault
        return
    assert status < 500, f"server error {where}\n{body!r}"
    if status >= 400:
        try:
            error = json.loads(response.content)["error"]
        except (ValueError, KeyError, TypeError) as exc:
            raise AssertionError(f"not a JSON error: {where}\n{body!r}") from exc
        assert isinstance(error.get("message"), str), where
        assert error.get("code") in ERROR_CODES, f"unregistered code {error.get('code')}: {where}"


@schema.parametrize()
@hypothesis.settings(deadline=None, database=None, derandomize=True)
def test_no_route_answers_5xx_or_an_untyped_error(case: Any, fuzzed_hub: FuzzedHub) -> None:
    """Every operation, fuzzed as a unit and as an operator: no 5xx, every 4xx typed JSON."""
    _short_waits(case)
    for who in ("unit", "operator"):
        headers = fuzzed_hub.headers(who, case.path)
        response = case.call(base_url=fuzzed_hub.url, headers=headers, timeout=TIMEOUT)
        _check(case, who, response)
    if case.path.startswith("/axis/v1/"):
        # and with no bearer at all, so the generated X-Axis-* headers are the credentials
        case.headers = {k: v for k, v in (case.headers or {}).items() if k != "Authorization"}
        _check(case, "signed", case.call(base_url=fuzzed_hub.url, timeout=TIMEOUT))


# -- /vxp: the VXP SDK's protocol, outside the OpenAPI document --------------------------

_VXP_KEYS = ("docId", "messagetype", "status", "from", "to", "hash-file", "AgencyCode")
_VXP_REAL = {
    "messagetype": ["edoc", "status", "all"],
    "status": ["done", "fail", "processing"],
    "from": [A, B],
}
#: header text: no C0 control or DEL (the HTTP server's parser answers those with a bare
#: 400 before the hub sees the request; docs/vxp.md, "Limits")
_HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, blacklist_characters="\x7f", blacklist_categories=["Cs"]),
    max_size=40,
).map(str.strip)  # what a header carries of it


@st.composite
def _vxp_calls(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes, bool]:
    """An operation (or an unknown one), a header map the SDK could send, a body, and
    whether the map is signed with the right secret."""
    operation = draw(st.sampled_from([*sorted(VXP_OPERATIONS), "noSuchOperation"]))
    header: dict[str, str] = {}
    for key in draw(st.lists(st.sampled_from(_VXP_KEYS), unique=True, max_size=4)):
        real = _VXP_REAL.get(key, []) + REAL_IDS.get("doc_id", []) * (key == "docId")
        header[key] = draw(st.sampled_from(real) | _HEADER_TEXT if real else _HEADER_TEXT)
    body = draw(
        st.sampled_from([b"", b"{}", b'{"code": "X", "name": "Y"}']) | st.binary(max_size=64)
    )
    return operation, header, body, draw(st.booleans())


def _vxp_headers(header: dict[str, str], secret: str, right: bool) -> dict[str, bytes]:
    """The SDK's wire headers for ``header`` (after its fixed timestamp and system id)."""
    items = [("timestamp", "07122026T030000+0000"), ("systemid", AXIS_SYSTEM), *header.items()]
    signed = [(f"XroadVnpt-{k}", v) for k, v in items]
    sign_header = gson_object(signed)
    mac = hmac.new(secret.encode(), sign_header.encode(), hashlib.sha256).hexdigest()
    out = {k: v.encode() for k, v in signed}
    out["XroadVnpt-sign-header-key"] = ";".join(k for k, _ in items).encode()
    out["XroadVnpt-sign-header"] = sign_header.encode()
    out["XroadVnpt-hash-header"] = (mac if right else mac[::-1]).encode()
    return out


@hypothesis.seed(SEED)
@hypothesis.settings(
    max_examples=MAX_EXAMPLES * 4,
    deadline=None,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
@hypothesis.given(call=_vxp_calls())
def test_vxp_answers_no_5xx_and_refuses_in_the_sdk_shape(
    fuzzed_hub: FuzzedHub, call: tuple[str, dict[str, str], bytes, bool]
) -> None:
    """/vxp/<operation> with signed (or mis-signed) SDK header maps: no 5xx, and every 4xx
    is the SDK's FAIL answer led by a registered code."""
    operation, header, body, right = call
    headers = _vxp_headers(header, fuzzed_hub.axis_secret, right)
    resp = requests.post(
        f"{fuzzed_hub.url}/vxp/{operation}", data=body, headers=headers, timeout=TIMEOUT
    )
    where = f"/vxp/{operation} {header!r} {body!r} signed={right} -> {resp.status_code}"
    assert resp.status_code < 500, f"server error {where}\n{resp.content[:500]!r}"
    if resp.status_code >= 400:
        try:
            answer = resp.json()
        except ValueError as exc:
            raise AssertionError(f"not a JSON answer: {where}\n{resp.content[:300]!r}") from exc
        assert answer["status"] == "FAIL", where
        assert answer["ErrorCode"] == str(resp.status_code), where
        assert answer["ErrorDesc"].split(":", 1)[0] in ERROR_CODES, where
