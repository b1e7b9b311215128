"""Keeping the queue tables lean on PostgreSQL: the hub vacuums what its hot paths update.

The outbox, the mailbox items and the deliveries are updated several times per document
(published; fetched, acked; each delivery state), and every update leaves a dead row
version behind until a ``VACUUM`` reclaims it. Until then the index scans of the hot
statements step over them, so the hub slows down with every document it handles.
PostgreSQL's autovacuum does this when it is on (it looks at each database once a minute
by default); when it is off, or behind, the hub pays: with autovacuum off the
submit→delivered latency kept rising over a long run, and a ``VACUUM`` of these tables
every few seconds kept it flat (``docs/benchmarks.md``, "Decisions").

:class:`Vacuum` looks every ``[database] vacuum_seconds`` at the dead rows of those tables
(``pg_stat_user_tables``) and runs ``VACUUM (SKIP_LOCKED)`` on the ones with at least
``vacuum_dead_rows``. It takes no lock that writers wait for (a plain ``VACUUM`` runs beside
reads and writes), and ``SKIP_LOCKED`` skips a table another hub process is vacuuming.
``vacuum_seconds = 0`` turns it off. On SQLite there is nothing to do: an update rewrites
its row in place.
"""

from __future__ import annotations

import time
from typing import Any

import structlog

from gateway.store.db import Database
from gateway.store.periodic import Periodic

__all__ = ["HOT_TABLES", "Vacuum"]

#: The tables the hot paths update (never a name taken from the database).
HOT_TABLES = ("outbox", "mailbox_items", "deliveries")

_DEAD_ROWS = (
    "SELECT relname FROM pg_stat_user_tables"
    " WHERE schemaname = current_schema() AND relname = ANY($1::text[]) AND n_dead_tup >= $2"
)

log = structlog.get_logger("gateway.store.vacuum")


class Vacuum(Periodic):
    """The periodic vacuum of one hub process (PostgreSQL only)."""

    name = "store.vacuum"

    def __init__(self, db: Database, *, every_seconds: float, dead_rows: int) -> None:
        super().__init__(every_seconds)
        self.db = db
        self.dead_rows = max(1, dead_rows)
        #: Tables vacuumed by this process so far (each pass that found any counts them).
        self.vacuumed = 0

    @property
    def enabled(self) -> bool:
        """On PostgreSQL with a positive period."""
        return self.db.is_postgresql and self.every_seconds > 0

    async def run_once(self) -> list[str]:
        """Vacuum the hot tables with at least ``dead_rows`` dead rows; their names."""
        if not self.db.is_postgresql:
            return []
        began = time.perf_counter()
        async with self.db.engine.connect() as connection:
            # The driver's own connection: VACUUM cannot run inside the transaction
            # SQLAlchemy would begin, and nothing here begins one.
            driver: Any = (await connection.get_raw_connection()).driver_connection
            rows = await driver.fetch(_DEAD_ROWS, list(HOT_TABLES), self.dead_rows)
            found = {row["relname"] for row in rows}
            tables = [name for name in HOT_TABLES if name in found]
            if tables:
                await driver.execute("VACUUM (SKIP_LOCKED) " + ", ".join(tables))
        if tables:
            self.vacuumed += len(tables)
            log.info(
                "store.vacuumed",
                tables=tables,
                ms=round((time.perf_counter() - began) * 1000, 1),
            )
        return tables
