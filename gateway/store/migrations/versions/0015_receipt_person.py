"""receipts: the person who answered, in the mailbox, with their own account

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08

``person`` (``person:<unit>/<username>``): the clerk whose action in the web mailbox made
the receipt, written with the receipt itself; NULL for a unit's token, an adapter or the
hub. A document a clerk sent says so in ``messages.submitted_by`` (no column needed).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column("receipts", sa.Column("person", sa.String(200), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("person")
