"""urgency as data: messages.urgency (indexed) and mailbox_items.urgency

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

The edXML Priority code of a document (``gateway/urgency.py``), stored on the message
and on its mailbox items, which a mailbox hands out urgent first (without starving the
rest). Rows written before have urgency 0 (normal).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    for name in ("messages", "mailbox_items"):
        op.add_column(
            name, sa.Column("urgency", sa.SmallInteger(), server_default="0", nullable=False)
        )
    op.create_index("ix_messages_urgency", "messages", ["urgency"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_column("mailbox_items", "urgency")
    op.drop_index("ix_messages_urgency", table_name="messages")
    op.drop_column("messages", "urgency")
