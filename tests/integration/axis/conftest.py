"""A hub serving its API and the axis API on a loopback port, with stand-in office systems.

The world: a province office PROV with districts A, B and C, each running a stand-in
office system registered as an axis system (secret files in the test's tmp dir, mode 0600).
The fixtures live in ``tests/support/world_fixtures.py``.
"""

from __future__ import annotations

from tests.support.world_fixtures import axis_world, backends

__all__ = ["axis_world", "backends"]
