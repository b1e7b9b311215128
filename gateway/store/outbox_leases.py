"""The outbox's leases, as the relay and the in-process bus's recovery use them: claim
unpublished rows for one relay (disjoint across relays and hub processes), give them back,
find and free the leases of processes that are gone, and publish again what the in-process
bus lost. Part of :class:`~gateway.store.messages.MessageStore`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import bindparam, or_, select, update

from gateway.store import outbox_recovery
from gateway.store.db import Database, execute
from gateway.store.models import OutboxEntryRow, table, utcnow
from gateway.store.prepared import Prepared
from gateway.store.records import OutboxRow

__all__ = ["OutboxLeases"]

_OUTBOX = table(OutboxEntryRow)
#: The columns of an :class:`OutboxRow`, in its order.
_CLAIMED = [_OUTBOX.c[n] for n in ("id", "topic", "routing_key", "body", "message_id", "attempts")]
#: Lease up to ``:lim`` unpublished rows whose lease is free at ``:now`` to ``:worker``
#: until ``:until`` (``SKIP LOCKED``: rows another relay is claiming are left to it).
_CLAIM = Prepared(
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(
            select(_OUTBOX.c.id)
            .where(
                _OUTBOX.c.published_at.is_(None),
                or_(
                    _OUTBOX.c.claimed_until.is_(None),
                    _OUTBOX.c.claimed_until < bindparam("now"),
                ),
            )
            .order_by(_OUTBOX.c.id)
            .limit(bindparam("lim"))
            .with_for_update(skip_locked=True)
        )
    )
    .values(
        claimed_by=bindparam("worker"),
        claimed_until=bindparam("until"),
        attempts=_OUTBOX.c.attempts + 1,
    )
    .returning(*_CLAIMED)
)


class OutboxLeases:
    """The outbox half of the message store that runs outside its write lane."""

    db: Database

    async def claim_outbox(
        self, limit: int, worker: str, lease_seconds: float = 30.0
    ) -> list[OutboxRow]:
        """Lease up to ``limit`` unpublished rows to ``worker`` (disjoint across workers)."""
        now = utcnow()
        until = now + timedelta(seconds=lease_seconds)
        params = {"now": now, "worker": worker, "until": until, "lim": limit}
        # One statement, its own transaction on PostgreSQL (no BEGIN/COMMIT round trips),
        # outside the write lane: SKIP LOCKED never waits for a row and the claim appends
        # nothing to the audit chain, so it cannot close a wait cycle; relays stay parallel.
        rows = await self.db.query(_CLAIM, params, write=True)
        claimed = (
            OutboxRow(r.id, r.topic, r.routing_key, r.body, r.message_id, r.attempts) for r in rows
        )
        return sorted(claimed, key=lambda r: r.id)

    async def release(self, ids: Sequence[int]) -> None:
        """Give rows back (nack, timeout) so the next claim retries them."""
        if not ids:
            return
        async with self.db.session(write=True) as session:
            await execute(
                session,
                update(OutboxEntryRow)
                .where(OutboxEntryRow.id.in_(list(ids)), OutboxEntryRow.published_at.is_(None))
                .values(claimed_by=None, claimed_until=None),
            )

    async def lease_holders(self) -> list[str]:
        """The holders of the unpublished rows' leases that have not run out yet."""
        async with self.db.read() as session:
            found = await execute(
                session,
                select(OutboxEntryRow.claimed_by)
                .where(
                    OutboxEntryRow.published_at.is_(None),
                    OutboxEntryRow.claimed_until >= utcnow(),
                )
                .distinct(),
            )
            return sorted(str(r.claimed_by) for r in found if r.claimed_by)

    async def release_holders(self, holders: Sequence[str]) -> int:
        """Give back every unpublished row leased to one of ``holders`` (processes that are
        gone); the number of rows."""
        if not holders:
            return 0
        async with self.db.session(write=True) as session:
            result = await execute(
                session,
                update(OutboxEntryRow)
                .where(
                    OutboxEntryRow.claimed_by.in_(list(holders)),
                    OutboxEntryRow.published_at.is_(None),
                )
                .values(claimed_by=None, claimed_until=None),
            )
            return int(getattr(result, "rowcount", 0) or 0)

    async def unconsumed_published(self, limit: int = 500) -> list[OutboxRow]:
        """Rows marked published whose mailbox item does not exist (see ``republish``)."""
        async with self.db.read() as session:
            return await outbox_recovery.unconsumed_published(session, limit)

    async def republish(self, ids: Sequence[int]) -> int:
        """Mark published rows unpublished again so the relay sends them once more.

        For the in-process bus after a restart: what it held in memory is gone, and the
        consumers are idempotent, so one more publish of a row is harmless.
        """
        if not ids:
            return 0
        async with self.db.session(write=True) as session:
            result = await execute(
                session,
                update(OutboxEntryRow)
                .where(OutboxEntryRow.id.in_(list(ids)), OutboxEntryRow.published_at.is_not(None))
                .values(published_at=None, claimed_by=None, claimed_until=None),
            )
            return int(getattr(result, "rowcount", 0) or 0)
