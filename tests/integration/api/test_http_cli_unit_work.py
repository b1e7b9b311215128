"""A unit finishes its work from the CLI: fetch files, read receipts with their codes, clear
them, and a rejection needs a reason (refused by the hub itself)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from tests.support.api_world import A, B, C, World
from tests.support.cli_runs import run_lienthong

pytestmark = pytest.mark.integration

FILE_BYTES = b"0123456789" * 100  # what World.send attaches, as "báo cáo.pdf"


async def test_fetch_downloads_envelope_and_files(world: World, tmp_path: Path) -> None:
    """fetch -o DIR writes envelope.xml and each file, byte for byte; prints their paths."""
    message_id = await world.send(A, (B,))
    out = tmp_path / "nhận"
    code, stdout, err = await run_lienthong(
        world, B, "fetch", message_id, "-o", str(out), home=tmp_path
    )
    assert code == 0, err
    assert stdout.splitlines() == [str(out / "envelope.xml"), str(out / "báo cáo.pdf")]
    assert (out / "báo cáo.pdf").read_bytes() == FILE_BYTES
    envelope = (out / "envelope.xml").read_bytes()
    assert hashlib.sha256(FILE_BYTES).hexdigest().encode() in envelope
    assert sorted(p.name for p in out.iterdir()) == ["báo cáo.pdf", "envelope.xml"]
    code, stdout, err = await run_lienthong(world, C, "fetch", message_id, home=tmp_path)
    assert code != 0 and err.startswith("message.not_found: ")
    code, _, err = await run_lienthong(world, B, "fetch", "not-a-uuid", home=tmp_path)
    assert code == 2 and "UUID" in err


async def test_fetch_refuses_a_file_that_does_not_match_its_digest(
    world: World, tmp_path: Path
) -> None:
    """A stored file changed on disk fails the download; no partial file is left behind."""
    message_id = await world.send(A, (B,))
    blob = world.hub.blobs.path(hashlib.sha256(FILE_BYTES).hexdigest())
    os.chmod(blob, 0o600)
    blob.write_bytes(b"X" * len(FILE_BYTES))
    out = tmp_path / "out"
    code, _, err = await run_lienthong(world, B, "fetch", message_id, "-o", str(out), home=tmp_path)
    assert code != 0 and err.startswith("envelope.attachment_mismatch: "), err
    assert sorted(p.name for p in out.iterdir()) == ["envelope.xml"]


async def test_inbox_shows_receipt_codes_and_clears_them(world: World, tmp_path: Path) -> None:
    """Receipts show code and name with who answered; --ack-receipts clears only them."""
    accepted = await world.send(A, (B,), subject="Giấy mời")
    rejected = await world.send(A, (B,), subject="Báo cáo")
    for message_id, status, reason in ((accepted, "03", None), (rejected, "02", "Sai nơi nhận")):
        extra = ["--reason", reason] if reason else []
        code, _, err = await run_lienthong(
            world, B, "ack", message_id, status, *extra, home=tmp_path
        )
        assert code == 0, err
    await world.wait_state(rejected, B, {"rejected"})
    await world.send(B, (A,), subject="Công văn đến")
    code, stdout, err = await run_lienthong(world, A, "inbox", "--wait", "5", home=tmp_path)
    assert code == 0, err
    lines = stdout.splitlines()
    assert lines[0].split() == ["ITEM", "KIND", "MESSAGE", "FROM", "STATUS", "SUBJECT"]
    assert any(accepted in line and f"{B}  03 accepted" in line for line in lines)
    assert any(rejected in line and f"{B}  02 rejected" in line for line in lines)
    code, stdout, err = await run_lienthong(
        world, A, "inbox", "--ack-receipts", "--json", home=tmp_path
    )
    assert code == 0, err
    receipts = [i for i in json.loads(stdout)["items"] if i["kind"] == "receipt"]
    assert {(i["status"], i["status_name"], i["by"]) for i in receipts} >= {
        ("03", "accepted", B),
        ("02", "rejected", B),
    }
    assert f"acked {len(receipts)} receipt(s)" in err
    code, stdout, _ = await run_lienthong(world, A, "inbox", "--json", home=tmp_path)
    assert [i["kind"] for i in json.loads(stdout)["items"]] == ["document"]


async def test_rejection_without_reason_is_refused_by_the_hub(world: World, tmp_path: Path) -> None:
    """02 without a reason is 422 receipt.reason_required over HTTP and from the CLI."""
    message_id = await world.send(A, (B,))
    for body in ({"status": "02"}, {"status": "rejected", "reason": "  "}):
        resp = await world.client.post(
            f"/api/v1/messages/{message_id}/receipts", json=body, headers=world.auth(B)
        )
        assert resp.status == 422
        assert (await resp.json())["error"]["code"] == "receipt.reason_required"
    code, _, err = await run_lienthong(world, B, "ack", message_id, "02", home=tmp_path)
    assert code != 0 and err.startswith("receipt.reason_required: ")
    code, _, err = await run_lienthong(world, B, "ack", message_id, "99", home=tmp_path)
    assert code != 0 and err.startswith("receipt.unknown_status: ")
    assert "01 received" in err and "02 rejected" in err and "16 recall_refused" in err
    status = await world.wait_state(message_id, B, {"submitted", "queued", "delivered"})
    assert status["recipients"][0]["receipts"] == []
