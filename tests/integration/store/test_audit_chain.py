"""The hash-chained audit log on both databases: appends chain, tampering is found."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from gateway.store import audit
from gateway.store.models import AuditRow

pytestmark = pytest.mark.integration


async def write(db: Any, n: int) -> None:
    for i in range(n):
        async with db.session() as session:
            await audit.append(
                session,
                "tester",
                "test.event",
                None,
                "000.00.00.H01",
                {"i": i, "text": "Công văn\nline"},
            )


async def test_appends_chain_and_verify(db: Any) -> None:
    """Entries get consecutive seqs, each linked to the previous hash; verify says ok."""
    await write(db, 5)
    async with db.session() as session:
        rows = (await session.execute(select(AuditRow).order_by(AuditRow.seq))).scalars().all()
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert await audit.verify(db) == audit.AuditReport(True, 5)


async def test_concurrent_appends_stay_one_chain(db: Any) -> None:
    """Appends from concurrent transactions are serialised into one unbroken chain."""
    await asyncio.gather(*(write(db, 3) for _ in range(4)))
    report = await audit.verify(db)
    assert report.ok and report.entries == 12


async def test_rolled_back_append_leaves_no_trace(db: Any) -> None:
    """An entry written in a transaction that fails is gone with it."""
    await write(db, 1)
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await audit.append(session, "tester", "doomed")
            raise RuntimeError("boom")
    assert await audit.verify(db) == audit.AuditReport(True, 1)


async def test_edited_row_is_found(db: Any) -> None:
    """Changing any field of an entry breaks its hash: verify names that seq."""
    await write(db, 5)
    async with db.session() as session:
        await session.execute(update(AuditRow).where(AuditRow.seq == 3).values(actor="mallory"))
    report = await audit.verify(db)
    assert (report.ok, report.first_broken_seq, report.entries) == (False, 3, 2)


async def test_deleted_row_is_found(db: Any) -> None:
    """Removing an entry leaves a gap: verify names the seq after it."""
    await write(db, 5)
    async with db.session() as session:
        await session.execute(delete(AuditRow).where(AuditRow.seq == 2))
    report = await audit.verify(db)
    assert (report.ok, report.first_broken_seq) == (False, 3)


async def test_inserted_row_is_found(db: Any) -> None:
    """A forged entry (renumbered chain, even with a valid own hash) breaks the next link."""
    await write(db, 3)
    async with db.session() as session:
        await session.execute(update(AuditRow).where(AuditRow.seq == 3).values(seq=4))
        prev = (await session.execute(select(AuditRow.hash).where(AuditRow.seq == 2))).scalar_one()
        forged = (await session.execute(select(AuditRow).where(AuditRow.seq == 2))).scalar_one()
        fields = dict(
            seq=3,
            at=forged.at,
            actor="mallory",
            action="forged",
            message_id=None,
            unit=None,
            detail={},
        )
        digest = audit.entry_hash(prev, **fields)
        await session.execute(insert(AuditRow).values(prev_hash=prev, hash=digest, **fields))
    report = await audit.verify(db)
    assert (report.ok, report.first_broken_seq) == (False, 4)
