"""escalation_sends: a durable claim per external channel before a notice is sent

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

One row per escalation and channel (``webhook``, ``mail``), written ``sending`` and
committed before the channel is tried, then ``sent`` or ``failed``; a row left
``sending`` by a process that died becomes ``unknown`` and is never sent again
(``gateway/deadlines/sends.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "escalation_sends",
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("recipient", sa.String(35), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_escalation_sends_message_id_messages"
        ),
        sa.PrimaryKeyConstraint(
            "message_id", "recipient", "level", "channel", name="pk_escalation_sends"
        ),
    )
    op.create_index(
        "ix_escalation_sends_state_started_at", "escalation_sends", ["state", "started_at"]
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_escalation_sends_state_started_at", table_name="escalation_sends")
    op.drop_table("escalation_sends")
