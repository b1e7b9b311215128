"""receipts: the signed (claimed) time beside the hub's time of receipt

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

``receipts.at`` is now the hub's time of receipt (what status views show and what orders
a delivery's receipts); the time the receipt's signer claims moves to ``claimed_at``.
Rows already there were stored with the claimed time in ``at``, so it is copied.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column("receipts", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    receipts = sa.table("receipts", sa.column("at"), sa.column("claimed_at"))
    op.execute(sa.update(receipts).values(claimed_at=receipts.c.at))


def downgrade() -> None:
    """Revert."""
    op.drop_column("receipts", "claimed_at")
