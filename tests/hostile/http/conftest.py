"""Fixtures of the hostile HTTP tests: the worlds of the API and axis integration suites,
each a hub served on a loopback port, on SQLite + local bus and PostgreSQL + RabbitMQ."""

from __future__ import annotations

from tests.support.world_fixtures import axis_world, backends, hub_overrides, world

__all__ = ["axis_world", "backends", "hub_overrides", "world"]
