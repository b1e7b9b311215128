"""An overdue notice goes out at most once on each channel, even when the process sending
it is killed between sending and recording; the webhook is signed (issue 25, items 1, 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from gateway.store.models import AuditRow, EscalationRow, EscalationSendRow
from tests.support.api_world import A, B, World
from tests.support.late_world import Targets, kill_while_mailing, late_world, smtp, targets

__all__ = ["late_world", "smtp", "targets"]


async def test_a_mail_interrupted_while_sending_is_never_sent_again(
    late_world: World, targets: Targets
) -> None:
    """A hub process is killed (SIGKILL) while the SMTP server holds its first mail: after
    the takeover delay that mail is `unknown`, audited, not resent; the notice it never
    started goes out once; later passes send nothing."""
    world = late_world
    message_id = await world.send(subject="Báo cáo quý")
    await world.wait_state(message_id, B, {"queued"})
    await kill_while_mailing(world, targets)
    first_mail = targets.inbox.mails[0]["Message-ID"]

    later = datetime.now(UTC) + timedelta(minutes=11)
    world.hub.escalation.clock = lambda: later
    retold = await world.hub.escalation.run_once()
    assert sorted(n.level for n in retold) == ["completed", "received"]
    world.hub.escalation.clock = lambda: later + timedelta(minutes=30)
    assert await world.hub.escalation.run_once() == []

    ids = [m["Message-ID"] for m in targets.inbox.mails]
    assert len(ids) == 2 and ids.count(first_mail) == 1
    assert len({p.event for p in targets.hooks.posts}) == 2 == len(targets.hooks.posts)
    async with world.hub.db.read() as session:
        sends = (await session.execute(select(EscalationSendRow))).scalars().all()
        states = sorted((s.level, s.channel, s.state) for s in sends)
        escalations = (await session.execute(select(EscalationRow))).scalars().all()
        audits = (
            await session.execute(
                select(AuditRow.action, AuditRow.detail).where(AuditRow.message_id == message_id)
            )
        ).all()
    interrupted = next(s for s in sends if s.state == "unknown")
    assert states == sorted(
        [
            (interrupted.level, "mail", "unknown"),
            (interrupted.level, "webhook", "sent"),
            *[(lv, ch, "sent") for lv in ("received", "completed") if lv != interrupted.level
              for ch in ("mail", "webhook")],
        ]
    )  # fmt: skip
    assert all(e.notified_at is not None for e in escalations) and len(escalations) == 2
    unknown = [d for a, d in audits if a == "escalation.unknown"]
    assert len(unknown) == 1 and unknown[0]["channel"] == "mail"
    notified = [d for a, d in audits if a == "escalation.notified"]
    assert len(notified) == 2
    assert {d["level"]: d["mail"] for d in notified}[interrupted.level].startswith("unknown")
    metrics = await (await world.client.get("/metrics")).text()
    assert 'lienthong_escalation_sends{channel="mail",state="unknown"} 1.0' in metrics


async def test_the_webhook_is_signed_and_verified_by_the_receiver(
    late_world: World, targets: Targets
) -> None:
    """Each POST carries X-Lienthong-Signature, the HMAC-SHA256 of its raw body under the
    secret in the home's file, which the receiver checks; the body names the delivery."""
    world = late_world
    message_id = await world.send()
    await world.wait_state(message_id, B, {"queued"})
    await world.hub.escalation.run_once()
    posts = targets.hooks.posts
    assert len(posts) == 2 and all(p.signed and p.valid for p in posts)
    assert {(p.body["message_id"], p.body["recipient"], p.body["told"]) for p in posts} == {
        (message_id, B, A)
    }
    assert all(p.body["id"] == p.event and p.body["sent_at"] for p in posts)
    async with world.hub.db.read() as session:
        details = (await session.execute(select(EscalationSendRow.detail))).scalars().all()
    assert sorted(details) == ["sent", "sent", "sent: HTTP 204", "sent: HTTP 204"]
