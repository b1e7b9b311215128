"""write lock function: the audit lock and the chain's head in one round trip

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

On PostgreSQL every write transaction takes the audit advisory lock and then reads the
head of the audit chain: two round trips, each waiting on a busy event loop. The function
does both; being ``VOLATILE``, its read takes a new snapshot after the lock is granted, so
it sees every transaction that held the lock before (one statement holding both would read
with a snapshot taken before waiting). SQLite needs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CREATE = """
CREATE OR REPLACE FUNCTION lienthong_write_lock(k bigint)
RETURNS TABLE (seq bigint, hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(k);
    RETURN QUERY SELECT a.seq, a.hash FROM audit_log AS a ORDER BY a.seq DESC LIMIT 1;
END
$$
"""


def upgrade() -> None:
    """Apply."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_CREATE)


def downgrade() -> None:
    """Revert."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS lienthong_write_lock(bigint)")
