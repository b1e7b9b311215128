"""deliveries: the clerk who first opened the document, in the mailbox, with their account

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08

``delivered_by`` (``person:<unit>/<username>``): the clerk whose mailbox session fetched
the document first, written in the fetch's transaction, with the move to ``delivered``;
NULL when a unit's token, an adapter or the hub fetched it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column("deliveries", sa.Column("delivered_by", sa.String(200), nullable=True))


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("delivered_by")
