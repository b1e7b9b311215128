"""Storage: the database, the content-addressed blob store, the message store."""

from gateway.store.blobs import BlobRef, BlobStore, sha256_of_file
from gateway.store.db import Database
from gateway.store.messages import MessageStore
from gateway.store.records import AcceptResult, MailboxItem, MessageStatus, OutboxRow, SearchFilters

__all__ = [
    "AcceptResult",
    "BlobRef",
    "BlobStore",
    "Database",
    "MailboxItem",
    "MessageStatus",
    "MessageStore",
    "OutboxRow",
    "SearchFilters",
    "sha256_of_file",
]
