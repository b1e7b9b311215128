"""deadlines and escalation: messages.due_received_at/due_completed_at, escalations

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

Each message's due times for "received" and "completed" (``gateway/deadlines``; rows
written before have none and are never overdue), and one row per overdue delivery and
level told about: its primary key is the claim that makes the notification go out once,
whichever hub process finds it first.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    for name in ("due_received_at", "due_completed_at"):
        op.add_column("messages", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        op.create_index(f"ix_messages_{name}", "messages", [name], unique=False)
    op.create_table(
        "escalations",
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("recipient", sa.String(35), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(35), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_escalations_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("message_id", "recipient", "level", name="pk_escalations"),
    )
    op.create_index("ix_escalations_notified_at", "escalations", ["notified_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_escalations_notified_at", table_name="escalations")
    op.drop_table("escalations")
    for name in ("due_completed_at", "due_received_at"):
        op.drop_index(f"ix_messages_{name}", table_name="messages")
        op.drop_column("messages", name)
