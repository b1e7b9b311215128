"""``lienthong serve`` as a real subprocess on PostgreSQL + RabbitMQ, with adapters configured.

The world: a province office P with units A (an office system on the axis API), B (a
legacy system on a drop folder), C and D (plain HTTP endpoints with bearer tokens).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from tests.support.served_hub import (
    RunningHub,
    _create_database,
    _directory,
    _drop_database,
    start_hub,
)
from tests.support.services import PG_ADMIN_DSN


@pytest.fixture(scope="module")
def module_pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test module, dropped after it."""
    name = f"lt_test_{secrets.token_hex(6)}"
    asyncio.run(_create_database(name))
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_drop_database(name))


@pytest.fixture(scope="module")
def running_hub(
    tmp_path_factory: pytest.TempPathFactory, module_pg_url: str, amqp_module_url: str
) -> Iterator[RunningHub]:
    """One ``lienthong serve`` (one worker) for the module; stopped at the end if still up."""
    tmp = tmp_path_factory.mktemp("serve")
    tokens = asyncio.run(_directory(module_pg_url))
    hub = start_hub(tmp, module_pg_url, amqp_module_url, tokens=tokens)
    try:
        yield hub
    finally:
        if hub.proc.poll() is None:
            hub.stop()
