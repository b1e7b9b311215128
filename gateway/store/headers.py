"""The few columns of a stored message the write steps read back (its header, its digest),
and the answer to an id used again."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.errors import DuplicateIdError, NotFoundError
from gateway.store.db import execute
from gateway.store.models import MessageRow
from gateway.store.prepared import Prepared
from gateway.store.records import AcceptResult

# Statements built once: building and cache-keying a statement per call cost more CPU
# than running it.
_HEADER = Prepared(
    select(
        MessageRow.id,
        MessageRow.sender,
        MessageRow.subject,
        MessageRow.envelope_digest,
        MessageRow.urgency,
    ).where(MessageRow.id == bindparam("mid"))
)
_DIGEST = Prepared(
    select(MessageRow.id, MessageRow.envelope_digest).where(MessageRow.id == bindparam("mid"))
)


class MessageHeader(Protocol):
    """The few columns of a message the write paths need (a row of ``_HEADER``)."""

    @property
    def id(self) -> str: ...
    @property
    def sender(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def envelope_digest(self) -> str: ...
    @property
    def urgency(self) -> int: ...


class Digested(Protocol):
    """A stored message's id and envelope digest (a ``MessageRow`` or a row of ``_DIGEST``)."""

    @property
    def id(self) -> str: ...
    @property
    def envelope_digest(self) -> str: ...


def same_message(existing: Digested, digest: str) -> AcceptResult:
    if existing.envelope_digest != digest:
        raise DuplicateIdError(
            "this message id was already used for a different envelope", message_id=existing.id
        )
    return AcceptResult(existing.id, False)


async def existing_message(session: AsyncSession, message_id: str, digest: str) -> AcceptResult:
    """:func:`same_message` for a message id already stored (read back: id and digest)."""
    row = (await execute(session, _DIGEST, {"mid": message_id})).first()
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    found: Digested = row
    return same_message(found, digest)


async def get_message(session: AsyncSession, message_id: str) -> MessageRow:
    row = await session.get(MessageRow, message_id)
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    return row


async def message_header(
    session: AsyncSession, message_id: str, known: MessageHeader | None = None
) -> MessageHeader:
    """Id, sender, subject and digest of a message (not its XML); ``message.not_found``.

    ``known``: the header as the caller already has it (accepted messages never change),
    which spares the read.
    """
    if known is not None and known.id == message_id:
        return known
    row = (await execute(session, _HEADER, {"mid": message_id})).first()
    if row is None:
        raise NotFoundError("no such message", code="message.not_found", message_id=message_id)
    header: MessageHeader = row
    return header
