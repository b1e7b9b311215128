"""The PDF verdicts of accepted messages: one row per message, and an audit entry.

The audit entry (``pdf.verified``) carries each file's digest, status and the digests of
the signing certificates, so the verdict is part of the hash chain an evidence bundle
shows; the row keeps the whole verdict for the status views.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from gateway import audit
from gateway.store.db import Database, execute
from gateway.store.models import PdfVerdictRow, table, utcnow

__all__ = ["PdfVerdictStore", "audit_detail"]

_ROWS = table(PdfVerdictRow)


def audit_detail(report: dict[str, Any]) -> dict[str, Any]:
    """What of a report goes into the audit chain."""
    return {
        "policy": report["policy"],
        "flagged": report["flagged"],
        "files": [
            {
                "name": f["name"],
                "sha256": f["sha256"],
                "status": f["status"],
                "signatures": [
                    {"kind": s["kind"], "ok": s["ok"], "certificate": s["certificate_sha256"]}
                    for s in f["signatures"]
                ],
            }
            for f in report["files"]
        ],
    }


class PdfVerdictStore:
    """Save and read the verdicts of a message."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, message_id: str, report: dict[str, Any]) -> bool:
        """Store ``report`` once (a second save is ignored); whether it was new."""
        async with self.db.session(write=True) as session:
            known = await execute(
                session, select(_ROWS.c.message_id).where(_ROWS.c.message_id == message_id)
            )
            if known.first() is not None:
                return False
            await execute(
                session,
                insert(_ROWS).values(message_id=message_id, verdicts=report, checked_at=utcnow()),
            )
            await audit.append(
                session, "hub", "pdf.verified", message_id, None, audit_detail(report)
            )
            return True

    async def get(self, message_id: str) -> dict[str, Any] | None:
        """The report of ``message_id``, or None (no PDF, or not checked)."""
        async with self.db.read() as session:
            row = (
                await execute(
                    session, select(_ROWS.c.verdicts).where(_ROWS.c.message_id == message_id)
                )
            ).first()
        return dict(row.verdicts) if row is not None else None
