"""A provisioned hub home on a fresh PostgreSQL database and RabbitMQ vhost."""

from __future__ import annotations

from pathlib import Path

import pytest
from jepsen_model import UNITS
from support.hubproc import HubHome


def provisioned_home(root: Path, database_url: str, bus_url: str) -> HubHome:
    """A home with the senders and recipients of :mod:`jepsen_model`, keys and tokens."""
    home = HubHome(root, database_url=database_url, bus_url=bus_url)
    home.provision(UNITS)
    return home


@pytest.fixture
def hub_home(tmp_path: Path, pg_url: str, amqp_url: str) -> HubHome:
    """The home every ``lienthong serve`` of a test runs on."""
    return provisioned_home(tmp_path / "home", pg_url, amqp_url)
