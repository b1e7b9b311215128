"""Alembic migrations, shipped inside the package and run programmatically.

``Database.upgrade()`` (and ``lienthong db upgrade``) call :func:`alembic_config` and pass
the live connection in ``config.attributes["connection"]``; no ``alembic.ini`` is needed.
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config

__all__ = ["alembic_config"]

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at these migrations (``url`` only for offline tools)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config
