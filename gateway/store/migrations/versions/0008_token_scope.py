"""tokens.scope: an operator token limited to a unit's subtree (a leader)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

``lienthong tokens create --operator NAME --scope CODE``: the operator sees only CODE and
the units below it (``gateway/authz.py``). Existing tokens have no scope (every unit).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("scope", sa.String(35), nullable=True))
        batch.create_foreign_key("fk_tokens_scope_units", "units", ["scope"], ["code"])


def downgrade() -> None:
    """Revert."""
    with op.batch_alter_table("tokens") as batch:
        batch.drop_constraint("fk_tokens_scope_units", type_="foreignkey")
        batch.drop_column("scope")
