"""Where the test services are: the PostgreSQL admin DSN and the RabbitMQ broker.

Both can be pointed elsewhere with ``LIENTHONG_TEST_PG`` / ``LIENTHONG_TEST_AMQP``.
"""

from __future__ import annotations

import os

__all__ = ["AMQP_BASE", "PG_ADMIN_DSN", "amqp_url_for"]

PG_ADMIN_DSN = os.environ.get("LIENTHONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_BASE = os.environ.get("LIENTHONG_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672")


def amqp_url_for(vhost: str, *, port: int | None = None, query: str = "") -> str:
    """The URL of ``vhost`` on the test broker, optionally through another local ``port``."""
    base = AMQP_BASE
    if port is not None:
        base = base.rsplit(":", 1)[0] + f":{port}"
    return f"{base}/{vhost}" + (f"?{query}" if query else "")
