"""proof: pdf_verdicts, timestamps

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

The PDF signature verdicts of each accepted message (``gateway/pdfsig``), and the RFC 3161
timestamps asked for receipts and the audit chain's head (``token`` NULL: waiting for the
TSA).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "pdf_verdicts",
        sa.Column("message_id", sa.String(36), nullable=False),
        sa.Column("verdicts", sa.JSON(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name="fk_pdf_verdicts_message_id_messages"
        ),
        sa.PrimaryKeyConstraint("message_id", name="pk_pdf_verdicts"),
    )
    op.create_table(
        "timestamps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(36), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stamped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_timestamps"),
        sa.UniqueConstraint("subject", "ref", name="uq_timestamps_subject_ref"),
    )
    op.create_index("ix_timestamps_message_id", "timestamps", ["message_id"], unique=False)
    op.create_index("ix_timestamps_stamped_at", "timestamps", ["stamped_at"], unique=False)


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_timestamps_stamped_at", table_name="timestamps")
    op.drop_index("ix_timestamps_message_id", table_name="timestamps")
    op.drop_table("timestamps")
    op.drop_table("pdf_verdicts")
