"""Alembic migrations, shipped inside the package and run programmatically.

``Database.upgrade()`` (and ``lienthong db upgrade``) call :func:`alembic_config` and pass
the live connection in ``config.attributes["connection"]``; no ``alembic.ini`` is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["HEAD", "alembic_config"]

MIGRATIONS_DIR = Path(__file__).resolve().parent
#: The newest revision in ``versions/`` (a test checks it against Alembic's head): a
#: database already there needs no upgrade, and the hub starts without loading Alembic.
HEAD = "0016"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at these migrations (``url`` only for offline tools)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config
