"""initial schema

Revision ID: 0001
Revises: -
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply."""
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("unit", sa.String(length=35), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_message_id"), "audit_log", ["message_id"])
    op.create_index(op.f("ix_audit_log_unit"), "audit_log", ["unit"])
    op.create_table(
        "mailbox_items",
        sa.Column("item_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit", sa.String(length=35), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=35), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_mailbox_items")),
        sa.UniqueConstraint("unit", "kind", "ref", name=op.f("uq_mailbox_items_unit_kind_ref")),
    )
    op.create_index(op.f("ix_mailbox_items_message_id"), "mailbox_items", ["message_id"])
    op.create_index(
        "ix_mailbox_items_unit_acked_at_item_id", "mailbox_items", ["unit", "acked_at", "item_id"]
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("sender", sa.String(length=35), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("refers_to", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("envelope_digest", sa.String(length=64), nullable=False),
        sa.Column("envelope_xml", sa.LargeBinary(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_created_at_id", "messages", ["created_at", "id"])
    op.create_index(op.f("ix_messages_due_date"), "messages", ["due_date"])
    op.create_index(op.f("ix_messages_refers_to"), "messages", ["refers_to"])
    op.create_index("ix_messages_sender_created_at", "messages", ["sender", "created_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("routing_key", sa.String(length=35), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(op.f("ix_outbox_message_id"), "outbox", ["message_id"])
    op.create_index("ix_outbox_published_at_id", "outbox", ["published_at", "id"])
    op.create_table(
        "units",
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("parent_code", sa.String(length=35), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["units.code"], name=op.f("fk_units_parent_code_units")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    op.create_index(op.f("ix_units_parent_code"), "units", ["parent_code"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_attachments_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("message_id", "name", name=op.f("uq_attachments_message_id_name")),
    )
    op.create_index(op.f("ix_attachments_sha256"), "attachments", ["sha256"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=35), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_deliveries_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "message_id", "recipient", name=op.f("uq_deliveries_message_id_recipient")
        ),
    )
    op.create_index("ix_deliveries_recipient_state", "deliveries", ["recipient", "state"])
    op.create_index("ix_deliveries_state", "deliveries", ["state"])
    op.create_table(
        "groups",
        sa.Column("code", sa.String(length=35), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=35), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["units.code"], name=op.f("fk_groups_parent_code_units")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_groups")),
    )
    op.create_table(
        "receipts",
        sa.Column("receipt_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=35), nullable=False),
        sa.Column("status_code", sa.String(length=4), nullable=False),
        sa.Column("status_name", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("issuer", sa.String(length=35), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receipt_xml", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_receipts_message_id_messages")
        ),
        sa.PrimaryKeyConstraint("receipt_id", name=op.f("pk_receipts")),
    )
    op.create_index("ix_receipts_message_id_recipient", "receipts", ["message_id", "recipient"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=True),
        sa.Column("operator", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_tokens_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_tokens_token_hash")),
    )
    op.create_table(
        "group_members",
        sa.Column("group_code", sa.String(length=35), nullable=False),
        sa.Column("unit_code", sa.String(length=35), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_code"],
            ["groups.code"],
            name=op.f("fk_group_members_group_code_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"], ["units.code"], name=op.f("fk_group_members_unit_code_units")
        ),
        sa.PrimaryKeyConstraint("group_code", "unit_code", name=op.f("pk_group_members")),
    )


def downgrade() -> None:
    """Revert."""
    op.drop_table("group_members")
    op.drop_table("tokens")
    op.drop_index("ix_receipts_message_id_recipient", table_name="receipts")
    op.drop_table("receipts")
    op.drop_table("groups")
    op.drop_index("ix_deliveries_state", table_name="deliveries")
    op.drop_index("ix_deliveries_recipient_state", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_attachments_sha256"), table_name="attachments")
    op.drop_table("attachments")
    op.drop_index(op.f("ix_units_parent_code"), table_name="units")
    op.drop_table("units")
    op.drop_index("ix_outbox_published_at_id", table_name="outbox")
    op.drop_index(op.f("ix_outbox_message_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_messages_sender_created_at", table_name="messages")
    op.drop_index(op.f("ix_messages_refers_to"), table_name="messages")
    op.drop_index(op.f("ix_messages_due_date"), table_name="messages")
    op.drop_index("ix_messages_created_at_id", table_name="messages")
    op.drop_table("messages")
    op.drop_index("ix_mailbox_items_unit_acked_at_item_id", table_name="mailbox_items")
    op.drop_index(op.f("ix_mailbox_items_message_id"), table_name="mailbox_items")
    op.drop_table("mailbox_items")
    op.drop_index(op.f("ix_audit_log_unit"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_message_id"), table_name="audit_log")
    op.drop_table("audit_log")
