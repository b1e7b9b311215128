"""Fixtures for the edXML tests."""

from __future__ import annotations

import pytest
from edxml_samples import MemoryBlobs


@pytest.fixture
def blobs() -> MemoryBlobs:
    """A fresh in-memory blob store."""
    return MemoryBlobs()
