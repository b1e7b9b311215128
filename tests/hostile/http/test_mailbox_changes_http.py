"""Revoking, replacing and updating a sent document from the web mailbox (issue 30), over
HTTP against a running hub: only the sender unit may, every form needs the CSRF token,
and the hub's own links (``refers_to``, ``changed_by``) follow."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from support.livehub import A, B, live_home
from support.mailbox_client import C, add_unit_c, csrf_of, get_page, login, post, send_pdf

pytestmark = [pytest.mark.slow]


async def test_sender_revokes_others_cannot(tmp_path: Path, backends: tuple[str, str]) -> None:
    """A revocation needs the CSRF token; the recipient B is refused by the hub
    (request.bad_reference), the stranger C finds nothing; the sender A's revocation
    goes to the same recipients and the document then stands revoked, with no more
    revoke form. On SQLite + local bus and PostgreSQL + RabbitMQ."""
    async with live_home(tmp_path, *backends) as live:
        add_unit_c(live)
        hub = await live.serve()
        message_id = await send_pdf(live, hub, A, B, number="9", notation="CV-UBND")
        doc_path = f"/mailbox/documents/{message_id}"
        revoke = f"{doc_path}/revoke"
        sender = await login(live, hub, A)
        page = await get_page(live, hub, doc_path, sender)
        assert 'id="revoke-form"' in page and 'id="replace-link"' in page
        csrf = csrf_of(page)

        no_csrf = await post(live, hub, revoke, sender, {"reason": "x"})
        assert no_csrf.status == 403 and no_csrf.code == "auth.csrf"
        evil = await live.request(
            hub, "POST", revoke, data={"csrf": csrf, "reason": "x"},
            headers={**sender, "Origin": "https://evil.example"},
        )  # fmt: skip
        assert evil.status == 403 and evil.code == "auth.csrf"

        recipient = await login(live, hub, B)
        b_page = await get_page(live, hub, doc_path, recipient)
        assert 'id="revoke-form"' not in b_page and 'id="replace-link"' not in b_page
        refused = await post(live, hub, revoke, recipient, {"csrf": csrf_of(b_page)})
        assert refused.status == 422 and "request.bad_reference" in refused.body.decode()
        stranger = await login(live, hub, C)
        c_csrf = csrf_of(await get_page(live, hub, "/mailbox", stranger))
        hidden = await post(live, hub, revoke, stranger, {"csrf": c_csrf})
        assert hidden.status == 404 and "Công văn" not in hidden.body.decode()
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert status.json["document_state"] == "current" and status.json["changed_by"] == []

        done = await post(live, hub, revoke, sender, {"csrf": csrf, "reason": "ban hành nhầm"})
        assert done.status == 303 and done.headers["Location"] == f"{doc_path}?done=revoked"
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert status.json["document_state"] == "revoked", status.json
        (change,) = status.json["changed_by"]
        assert change["kind"] == "revoke"
        revocation = await live.request(
            hub, "GET", f"/api/v1/messages/{change['id']}/status", who=A
        )
        assert [r["unit"] for r in revocation.json["recipients"]] == [B]
        assert revocation.json["refers_to"] == message_id

        after = await get_page(live, hub, doc_path, sender)
        assert 'id="revoke-form"' not in after and 'data-state="revoked"' in after
        again = await post(live, hub, revoke, sender, {"csrf": csrf})
        assert again.status == 422 and "request.bad_reference" in again.body.decode()
        sent = await get_page(live, hub, "/mailbox/sent", sender)
        assert change["id"] in sent
        inbox = await get_page(live, hub, "/mailbox", recipient)
        assert change["id"] in inbox


def _form(csrf: str, fields: list[tuple[str, str]]) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("csrf", csrf)
    for name, value in fields:
        form.add_field(name, value)
    form.add_field("file", b"ban moi", filename="ban-moi.txt", content_type="text/plain")
    return form


async def test_replace_and_update_from_the_compose_page(tmp_path: Path, sqlite_url: str) -> None:
    """The compose page for a replacement is filled from A's document (recipients,
    number, subject) and carries kind and refers_to; the send makes a replacement the
    hub links both ways; an update works the same; B (a recipient) gets no such page
    and the hub refuses B's own replace form; C finds nothing."""
    async with live_home(tmp_path, sqlite_url, "local://") as live:
        add_unit_c(live)
        hub = await live.serve()
        message_id = await send_pdf(live, hub, A, B, number="9", notation="CV-UBND")
        sender = await login(live, hub, A)
        compose = await get_page(live, hub, f"/mailbox/compose?refers_to={message_id}", sender)
        assert 'name="kind" value="replace"' in compose
        assert f'name="refers_to" value="{message_id}"' in compose
        assert f'value="{B}" checked' in compose and 'value="CV-UBND"' in compose
        csrf = csrf_of(compose)
        fields = [("to", B), ("subject", "Công văn (thay thế)"), ("kind", "replace"),
                  ("refers_to", message_id)]  # fmt: skip
        sent = await live.request(
            hub, "POST", "/mailbox/send", data=_form(csrf, fields),
            headers={**sender, "Origin": hub.url},
        )  # fmt: skip
        assert sent.status == 303, sent
        replacement = sent.headers["Location"].split("/")[3].split("?")[0]
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert status.json["document_state"] == "replaced"
        assert [c["id"] for c in status.json["changed_by"]] == [replacement]
        new_page = await get_page(live, hub, f"/mailbox/documents/{replacement}", sender)
        assert 'id="doc-refers-to"' in new_page and message_id in new_page

        update = await get_page(
            live, hub, f"/mailbox/compose?refers_to={replacement}&kind=update", sender
        )
        assert 'name="kind" value="update"' in update
        bad_kind = await live.request(
            hub, "GET", f"/mailbox/compose?refers_to={replacement}&kind=revoke", headers=sender
        )
        assert bad_kind.status == 400

        recipient = await login(live, hub, B)
        not_sender = await live.request(
            hub, "GET", f"/mailbox/compose?refers_to={message_id}", headers=recipient
        )
        assert not_sender.status == 422 and "request.bad_reference" in not_sender.body.decode()
        b_csrf = csrf_of(await get_page(live, hub, "/mailbox", recipient))
        forged = await live.request(
            hub, "POST", "/mailbox/send",
            data=_form(b_csrf, [("to", A), ("subject", "giả"), ("kind", "replace"),
                                ("refers_to", message_id)]),
            headers={**recipient, "Origin": hub.url},
        )  # fmt: skip
        assert forged.status == 422 and "request.bad_reference" in forged.body.decode()
        stranger = await login(live, hub, C)
        hidden = await live.request(
            hub, "GET", f"/mailbox/compose?refers_to={message_id}", headers=stranger
        )
        assert hidden.status == 404 and "Công văn" not in hidden.body.decode()
        status = await live.request(hub, "GET", f"/api/v1/messages/{message_id}/status", who=A)
        assert [c["id"] for c in status.json["changed_by"]] == [replacement]
