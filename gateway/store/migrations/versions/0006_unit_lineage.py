"""unit lineage: validity interval of a unit code, and its predecessors and successors

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

``units.valid_from`` and ``units.valid_until`` bound when a code may be addressed (a
retired, merged or re-coded unit keeps its row, so that history stays true); the table
``unit_links`` says who succeeded whom, how and from when (``gateway/directory/lineage.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.add_column("units", sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True))
    op.add_column("units", sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "unit_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("predecessor", sa.String(35), nullable=False),
        sa.Column("successor", sa.String(35), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["predecessor"], ["units.code"], name="fk_unit_links_predecessor_units"
        ),
        sa.ForeignKeyConstraint(
            ["successor"], ["units.code"], name="fk_unit_links_successor_units"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_unit_links"),
    )
    op.create_index("ix_unit_links_predecessor", "unit_links", ["predecessor"])
    op.create_index("ix_unit_links_successor", "unit_links", ["successor"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_unit_links_successor", table_name="unit_links")
    op.drop_index("ix_unit_links_predecessor", table_name="unit_links")
    op.drop_table("unit_links")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("valid_until")
        batch.drop_column("valid_from")
