"""clerks' own accounts for the web mailbox

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

``people`` holds a unit's clerks who log in to ``/mailbox`` with a username and a
password (its scrypt hash), created and disabled by ``lienthong users``; ``failures`` and
``locked_until`` lock an account after wrong passwords (``gateway/store/people.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "people",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("unit_code", sa.String(35), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name="fk_people_unit_code_units"),
        sa.PrimaryKeyConstraint("id", name="pk_people"),
        sa.UniqueConstraint("username", name="uq_people_username"),
    )
    op.create_index("ix_people_unit_code", "people", ["unit_code"])


def downgrade() -> None:
    """Revert."""
    op.drop_index("ix_people_unit_code", table_name="people")
    op.drop_table("people")
