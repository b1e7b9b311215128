"""Operators' work on the escalation sends: list them, resolve one left ``unknown``.

A send is ``unknown`` when the process sending it stopped before recording the outcome
(:mod:`gateway.deadlines.sends`); the hub never sends it again on its own. An operator
looks for its id (the mail's ``Message-ID`` ``<escalation.ID@…>``, the webhook's
``X-Lienthong-Event``) in the receiver's log and resolves it:

- ``sent``: it arrived; the row becomes ``sent``, nothing goes out;
- ``resend``: it did not; the row is claimed again (``unknown`` → ``sending``, one
  committed update, so of two operators or processes one takes it), sent once more on
  the same channel, and its outcome recorded as for any send.

The console, the API (``/api/v1/escalations``) and ``lienthong escalations`` all go
through here; each resolution is audited with the operator's name.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select

from gateway.deadlines.channels import event_id_of
from gateway.deadlines.escalation import Escalation, Notice
from gateway.deadlines.sends import Key
from gateway.errors import ConflictError, NotFoundError, RequestError
from gateway.store.models import EscalationRow, EscalationSendRow, MessageRow, table

__all__ = ["ACTIONS", "LIST_LIMIT", "STATES", "list_sends", "resolve_send"]

#: What an operator may do with an ``unknown`` send.
ACTIONS = ("sent", "resend")
#: The states of a send (``?state=`` filters on one).
STATES = ("sending", "sent", "failed", "unknown")
#: Sends listed at most, newest first.
LIST_LIMIT = 500
_S, _E, _M = table(EscalationSendRow), table(EscalationRow), table(MessageRow)


async def list_sends(escalation: Escalation, state: str | None) -> list[dict[str, Any]]:
    """The newest sends (at most :data:`LIST_LIMIT`), in ``state`` when given
    (``request.bad_parameter`` for a state that is none of :data:`STATES`)."""
    if state is not None and state not in STATES:
        raise RequestError(
            f"state must be one of {', '.join(STATES)}", code="request.bad_parameter"
        )
    query = select(_S).order_by(_S.c.started_at.desc()).limit(LIST_LIMIT)
    if state is not None:
        query = query.where(_S.c.state == state)
    async with escalation.db.read() as session:
        rows = (await session.execute(query)).all()
    return [_send_json(escalation, r) for r in rows]


async def resolve_send(
    escalation: Escalation, operator: str, send_id: str, action: str
) -> dict[str, Any]:
    """Resolve the ``unknown`` send ``send_id`` as ``sent`` or ``resend`` it (audited with
    ``operator``); the send afterwards. ``escalation.not_found``, ``escalation.not_unknown``,
    ``escalation.bad_action``, ``escalation.channel_off`` (a resend on a channel the hub
    no longer has)."""
    if action not in ACTIONS:
        raise RequestError(
            f"action must be one of {', '.join(ACTIONS)}", code="escalation.bad_action"
        )
    key, channel, state = await _find(escalation, send_id)
    if state != "unknown":
        raise _not_unknown(send_id)
    actor = f"operator:{operator}"
    if action == "sent":
        if not await escalation.sends.confirm(key, channel, actor):
            raise _not_unknown(send_id)
    else:
        send = escalation.channels.get(channel)
        if send is None:
            raise ConflictError(
                f"the hub has no {channel} channel configured now: cannot resend",
                code="escalation.channel_off",
            )
        notice = await _notice(escalation, key)
        if not await escalation.sends.reclaim(key, channel, actor):
            raise _not_unknown(send_id)
        await escalation.sends.finish(key, channel, await send(notice))
    return await _one(escalation, key, channel)


async def _find(escalation: Escalation, send_id: str) -> tuple[Key, str, str]:
    """The send whose id is ``send_id``: the ``unknown`` ones first (few, by the state's
    index), then every other (the id is a hash of the row's key, so they are scanned)."""
    try:
        wanted = str(uuid.UUID(send_id))
    except (TypeError, ValueError, AttributeError) as exc:
        raise _not_found(send_id) from exc
    columns = (_S.c.message_id, _S.c.recipient, _S.c.level, _S.c.channel, _S.c.state)
    async with escalation.db.read() as session:
        for query in (
            select(*columns).where(_S.c.state == "unknown"),
            select(*columns).where(_S.c.state != "unknown"),
        ):
            for r in await session.execute(query):
                if event_id_of(r.message_id, r.recipient, r.level, r.channel) == wanted:
                    return (r.message_id, r.recipient, r.level), r.channel, r.state
    raise _not_found(send_id)


async def _notice(escalation: Escalation, key: Key) -> Notice:
    """The notice of ``key`` as its first send told it (its escalation and document)."""
    message_id, recipient, level = key
    query = (
        select(_E.c.unit, _E.c.due_at, _M.c.sender, _M.c.subject)
        .join(_M, _M.c.id == _E.c.message_id)
        .where(_E.c.message_id == message_id, _E.c.recipient == recipient, _E.c.level == level)
    )
    async with escalation.db.read() as session:
        row = (await session.execute(query)).one()
    return Notice(message_id, recipient, level, row.unit, row.sender, row.subject, row.due_at)


async def _one(escalation: Escalation, key: Key, channel: str) -> dict[str, Any]:
    message_id, recipient, level = key
    query = select(_S).where(
        _S.c.message_id == message_id,
        _S.c.recipient == recipient,
        _S.c.level == level,
        _S.c.channel == channel,
    )
    async with escalation.db.read() as session:
        return _send_json(escalation, (await session.execute(query)).one())


def _send_json(escalation: Escalation, r: Any) -> dict[str, Any]:
    """One send for operators: its id, whose delivery, the level, where it goes, how it
    ended."""
    return {
        "id": event_id_of(r.message_id, r.recipient, r.level, r.channel),
        "message_id": r.message_id,
        "recipient": r.recipient,
        "level": r.level,
        "channel": r.channel,
        "target": _target(escalation, r.channel),
        "state": r.state,
        "detail": r.detail,
        "claimed_at": r.started_at,
        "finished_at": r.finished_at,
    }


def _target(escalation: Escalation, channel: str) -> str | None:
    """Where ``channel`` goes now (the webhook's URL without credentials or query, the
    mail's addresses); ``None`` when the hub has no such channel configured."""
    config = escalation.config
    if channel == "webhook" and config.webhook_url:
        url = urlsplit(config.webhook_url)
        return urlunsplit((url.scheme, url.netloc.rpartition("@")[2], url.path, "", ""))
    if channel == "mail" and config.mail_to:
        return config.mail_to
    return None


def _not_found(send_id: str) -> NotFoundError:
    return NotFoundError(f"no escalation send {send_id[:80]!r}", code="escalation.not_found")


def _not_unknown(send_id: str) -> ConflictError:
    return ConflictError(
        f"escalation send {send_id[:80]!r} is not unknown (resolved already, or its outcome "
        "was recorded): nothing done",
        code="escalation.not_unknown",
    )
