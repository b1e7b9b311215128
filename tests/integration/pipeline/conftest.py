"""A started hub on both stacks: SQLite + local bus, and PostgreSQL + RabbitMQ.

The world: a province PROV, districts A and B, communes A1 and A2 under A (the group GA is
"communes of A"), and a stranger S. Keys are ECDSA (fast to issue).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.hub import Hub
from tests.support.pipeline_stack import Stack, make_config


@pytest.fixture(params=["sqlite-local", "postgresql-rabbitmq", "postgresql-rabbitmq-sharded"])
def stack(request: pytest.FixtureRequest, tmp_home: Path) -> Stack:
    """Each test runs on every stack, each on its own database and vhost: the embedded one,
    PostgreSQL + RabbitMQ with a queue per unit, and with units sharded over 3 queues."""
    if request.param == "sqlite-local":
        db_url, bus_url = request.getfixturevalue("sqlite_url"), "local://"
    else:
        db_url, bus_url = request.getfixturevalue("pg_url"), request.getfixturevalue("amqp_url")
    config = make_config(tmp_home, db_url, bus_url)
    if request.param.endswith("-sharded"):
        config = replace(config, bus=replace(config.bus, shards=3))
    return Stack(request.param, config)


@pytest.fixture
async def hub(stack: Stack) -> AsyncIterator[Hub]:
    """A started hub on the stack, stopped after the test."""
    running = await stack.hub()
    try:
        yield running
    finally:
        await running.stop()
