"""scheduled renames and moves of units

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

``unit_changes`` holds a rename or move given ``--at`` a later instant; the first hub
process that reads the directory after that instant applies it (``applied_at``), in one
transaction with its audit entry (``gateway/directory/scheduled.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "unit_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(35), nullable=False),
        sa.Column("name", sa.String(500), nullable=True),
        sa.Column("moves", sa.SmallInteger(), nullable=False),
        sa.Column("parent", sa.String(35), nullable=True),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["code"], ["units.code"], name="fk_unit_changes_code_units"),
        sa.PrimaryKeyConstraint("id", name="pk_unit_changes"),
    )
    op.create_index(
        "ix_unit_changes_applied_at_effective_at",
        "unit_changes",
        ["applied_at", "effective_at"],
    )


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_unit_changes_applied_at_effective_at", table_name="unit_changes")
    op.drop_table("unit_changes")
