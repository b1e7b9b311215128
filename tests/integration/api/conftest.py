"""A running hub behind a real HTTP server, on SQLite + local bus and PostgreSQL + RabbitMQ.

The world: a province office PROV with two districts A and B and a stranger C; a token for
each unit, one for an operator. Messages are sent by A to B unless a test says otherwise.
The fixtures live in ``tests/support/world_fixtures.py``.
"""

from __future__ import annotations

from tests.support.world_fixtures import backends, hub_overrides, world

__all__ = ["backends", "hub_overrides", "world"]
