"""timestamps: claims, so that one row is stamped once across processes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

``claimed_by`` (the stamper process) and ``claimed_until`` (when its claim lapses): a
stamper claims waiting rows atomically before it asks the TSA (``gateway/timestamps``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column("timestamps", sa.Column("claimed_by", sa.String(64), nullable=True))
    op.add_column(
        "timestamps", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("timestamps") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
