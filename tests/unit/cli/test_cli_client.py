"""The CLI client's pure parts: where it finds the hub, how it prints and reads errors."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gateway.cli.client import HubClient, _hub_error
from gateway.cli.tables import opener_lines, table, timeline_rows
from gateway.config import ClientConfig, Config
from gateway.errors import AuthError


def test_env_wins_over_config(tmp_path: Path) -> None:
    """LIENTHONG_URL/LIENTHONG_TOKEN override [client] url/token."""
    cfg = replace(Config(home=tmp_path), client=ClientConfig(url="http://cfg:1", token="t-cfg"))
    client = HubClient.from_config(
        cfg, {"LIENTHONG_URL": "http://env:2/", "LIENTHONG_TOKEN": "t-env"}
    )
    assert (client.url, client.token) == ("http://env:2", "t-env")
    client = HubClient.from_config(cfg, {})
    assert (client.url, client.token) == ("http://cfg:1", "t-cfg")


def test_url_defaults_to_hub_listen(tmp_path: Path) -> None:
    """Without a url anywhere, the client talks to the hub's own listen address."""
    client = HubClient.from_config(Config(home=tmp_path), {"LIENTHONG_TOKEN": "t"})
    assert client.url == "http://127.0.0.1:8480"


def test_missing_token_is_auth_required(tmp_path: Path) -> None:
    """No token anywhere is auth.required before any request is made."""
    with pytest.raises(AuthError) as err:
        HubClient.from_config(Config(home=tmp_path), {})
    assert err.value.code == "auth.required"


def test_hub_error_keeps_code_and_message() -> None:
    """A JSON error from the hub becomes a GatewayError with the same code and message."""
    err = _hub_error(403, b'{"error": {"code": "auth.forbidden", "message": "no"}}')
    assert str(err) == "auth.forbidden: no"
    assert _hub_error(502, b"<html>bad gateway</html>").code == "gateway.error"


def test_timeline_has_a_row_per_receipt_and_escapes_newlines() -> None:
    """Each receipt is one row; a reason with CR/LF stays on one line."""
    status = {
        "recipients": [
            {
                "unit": "A",
                "state": "accepted",
                "receipts": [
                    {
                        "status": "01",
                        "name": "received",
                        "at": "t1",
                        "by": "A",
                        "person": "person:A/van.thu",
                        "reason": None,
                    },
                    {
                        "status": "03",
                        "name": "accepted",
                        "at": "t2",
                        "by": "A",
                        "reason": "ok\nfake row",
                    },
                ],
            },
            {"unit": "B", "state": "queued", "receipts": []},
        ]
    }
    rows = timeline_rows(status)
    assert [r[2] for r in rows] == ["01", "03", ""]
    out = table(["UNIT", "STATE", "CODE", "STATUS", "AT", "BY", "CLERK", "REASON"], rows)
    assert len(out.splitlines()) == 4
    assert "van.thu" in out.splitlines()[1] and "van.thu" not in out.splitlines()[2]
    assert "ok\\nfake row" in out


def test_the_clerk_who_first_opened_each_delivery_has_a_line() -> None:
    """A recipient opened by a clerk's session gets a line naming the clerk; one opened by
    a token, or not opened, gets none; a name with a newline stays on its line."""
    status = {
        "recipients": [
            {"unit": "A", "delivered_by": "person:A/van.thu", "delivered_by_name": "Thu\nX"},
            {"unit": "B", "delivered_by": None},
            {"unit": "C"},
        ]
    }
    assert opener_lines(status) == ["A first opened by Thu\\nX (person:A/van.thu)"]


async def test_unreachable_hub_is_a_typed_error() -> None:
    """A hub that does not answer is client.unreachable, not a stack trace."""
    from gateway.errors import GatewayError

    client = HubClient("http://127.0.0.1:9", "token")
    with pytest.raises(GatewayError) as err:
        await client.inbox(0, 1)
    assert err.value.code == "client.unreachable"
