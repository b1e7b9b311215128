"""Fixtures for the message-store tests (builders live in tests/support/store_builders.py)."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.pipeline.states import RULES
from gateway.store.messages import MessageStore


@pytest.fixture
def store(db: Any) -> MessageStore:
    """A message store on the migrated test database (both databases)."""
    return MessageStore(db, rules=RULES)
