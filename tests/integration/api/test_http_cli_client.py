"""``lienthong send / inbox / ack / status`` against a running hub, as real processes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.api_world import A, B, World
from tests.support.cli_runs import run_lienthong


async def test_send_inbox_ack_status(world: World, tmp_path: Path) -> None:
    """A sends a file, B sees it in its inbox and accepts it, A's status shows every step."""
    doc = tmp_path / "cong-van.pdf"
    doc.write_bytes(b"%PDF-1.4 test document")
    home = tmp_path / "client-home"
    code, out, err = await run_lienthong(
        world,
        A,
        "send",
        "--to",
        B,
        "--subject",
        "Giấy mời họp",
        "--notation",
        "12/GM-VP",
        str(doc),
        home=home,
    )
    assert code == 0, err
    message_id = out.strip()
    assert len(message_id) == 36

    code, out, err = await run_lienthong(world, B, "inbox", "--wait", "5", "--json", home=home)
    assert code == 0, err
    assert [i["message_id"] for i in json.loads(out)["items"]] == [message_id]
    code, out, _ = await run_lienthong(world, B, "inbox", home=home)
    assert message_id in out and "Giấy mời họp" in out

    code, out, err = await run_lienthong(world, B, "ack", message_id, "accepted", home=home)
    assert code == 0, err
    receipt_id = out.strip()

    await world.wait_state(message_id, B, {"accepted"})
    code, out, err = await run_lienthong(world, A, "status", message_id, "--json", home=home)
    assert code == 0, err
    status = json.loads(out)
    receipts = status["recipients"][0]["receipts"]
    assert status["recipients"][0]["state"] == "accepted"
    assert receipt_id in [r["receipt_id"] for r in receipts]
    code, out, err = await run_lienthong(world, A, "status", message_id, home=home)
    assert code == 0, err
    assert B in out and "accepted" in out and "03" in out


async def test_hub_errors_print_code_and_exit_non_zero(world: World, tmp_path: Path) -> None:
    """A refusal prints CODE: message on stderr and exits non-zero."""
    home = tmp_path / "client-home"
    code, out, err = await run_lienthong(
        world, "no-such-token-xxxxxxxxxxxxxxxx", "inbox", home=home
    )
    assert code != 0 and out == ""
    assert err.startswith("auth.invalid_token: ")
    message_id = await world.send()
    code, _, err = await run_lienthong(world, B, "ack", message_id, "99", home=home)
    assert code != 0
    assert err.startswith("receipt.unknown_status: ")


async def test_inbox_shows_hub_notices_apart_and_acks_them(world: World, tmp_path: Path) -> None:
    """A month on, B has not answered: A's inbox lists the hub's overdue notices under
    their own heading (not as documents); --ack-notices takes them off."""
    home = tmp_path / "client-home"
    message_id = await world.send(subject="Báo cáo năm")
    await world.wait_state(message_id, B, {"queued"})
    later = datetime.now(UTC) + timedelta(days=31)
    world.hub.escalation.clock = lambda: later
    told = await world.hub.escalation.run_once()
    assert sorted(n.level for n in told if n.unit == A) == ["completed", "received"]
    code, out, err = await run_lienthong(world, A, "inbox", home=home)
    assert code == 0, err
    documents, _, notices = out.partition("HUB NOTICES")
    assert message_id not in documents and "notice" not in documents
    assert notices.count(message_id) == 2 and B in notices and "Quá hạn" in notices
    code, out, err = await run_lienthong(world, A, "inbox", "--ack-notices", home=home)
    assert code == 0 and "acked 2 hub notice(s)" in err, err
    code, out, err = await run_lienthong(world, A, "inbox", "--json", home=home)
    assert json.loads(out)["items"] == []
