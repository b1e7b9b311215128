"""A provisioned hub home on a fresh PostgreSQL database and RabbitMQ vhost."""

from __future__ import annotations

from pathlib import Path

import pytest
from jepsen_model import provisioned_home
from support.hubproc import HubHome


@pytest.fixture
def hub_home(tmp_path: Path, pg_url: str, amqp_url: str) -> HubHome:
    """The home every ``lienthong serve`` of a test runs on."""
    return provisioned_home(tmp_path / "home", pg_url, amqp_url)
