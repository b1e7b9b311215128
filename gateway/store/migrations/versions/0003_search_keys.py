"""search keys: folded subject and unit names, indexed

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Search compares :func:`gateway.text.fold` of the query (lowercase, no diacritics, NFC)
with the same fold of the subject and of unit names, computed in Python on write and
kept in ``messages.subject_key`` and ``units.name_key``. This adds both columns, fills
them for the rows already there, and indexes the subject key: on PostgreSQL a trigram
GIN index (``pg_trgm``) so that a substring anywhere is found through the index; where
the extension cannot be created, a btree with ``text_pattern_ops`` (prefixes only).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gateway.text import fold, nfc

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5000


def upgrade() -> None:
    """Apply."""
    op.add_column(
        "messages", sa.Column("subject_key", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "units", sa.Column("name_key", sa.String(length=500), server_default="", nullable=False)
    )
    _backfill("messages", "id", "subject", "subject_key")
    _backfill("units", "code", "name", "name_key")
    op.create_index(op.f("ix_units_name_key"), "units", ["name_key"])
    _index_subject_key()


def _backfill(table: str, key: str, source: str, target: str) -> None:
    """``target = fold(source)`` (and ``source`` NFC) for every row, a batch at a time."""
    bind = op.get_bind()
    rows = sa.table(table, sa.column(key), sa.column(source), sa.column(target))
    update = (
        sa.update(rows)
        .where(rows.c[key] == sa.bindparam("b_key"))
        .values({source: sa.bindparam("b_source"), target: sa.bindparam("b_target")})
    )
    last: str | None = None
    while True:
        query = sa.select(rows.c[key], rows.c[source]).order_by(rows.c[key]).limit(_BATCH)
        if last is not None:
            query = query.where(rows.c[key] > last)
        batch = bind.execute(query).all()
        if not batch:
            return
        values = [{"b_key": k, "b_source": nfc(v), "b_target": fold(v)} for k, v in batch]
        bind.execute(update, values)
        last = batch[-1][0]


def _index_subject_key() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        op.create_index("ix_messages_subject_key", "messages", ["subject_key"])
        return
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        op.execute(
            "CREATE INDEX ix_messages_subject_key ON messages (subject_key text_pattern_ops)"
        )
        return
    op.execute(
        "CREATE INDEX ix_messages_subject_key ON messages USING gin (subject_key gin_trgm_ops)"
    )


def downgrade() -> None:
    """Revert (the pg_trgm extension stays: other objects may use it)."""
    op.drop_index("ix_messages_subject_key", table_name="messages")
    op.drop_index(op.f("ix_units_name_key"), table_name="units")
    op.drop_column("units", "name_key")
    op.drop_column("messages", "subject_key")
