"""The PDF verdicts of accepted messages: one row per message, and an audit entry,
written in the message's own accept transaction.

The flow hands the report on inside the verified envelope (:class:`PdfCheckedEnvelope`);
``gateway.store.accept.accept_messages`` calls :func:`insert_report` beside the
message's ``message.accepted`` entry, so a message is never stored without its verdict.
The audit entry (``pdf.verified``) carries each file's digest, status and the digests of
the signing certificates, so the verdict is part of the hash chain an evidence bundle
shows; the row keeps the whole verdict for the status views.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.envelope.verify import VerifiedEnvelope
from gateway.store import audit
from gateway.store.db import Database, execute
from gateway.store.models import PdfVerdictRow, table, utcnow
from gateway.store.prepared import Prepared

__all__ = ["PdfCheckedEnvelope", "PdfVerdictStore", "audit_detail", "insert_report", "report_of"]

_ROWS = table(PdfVerdictRow)
_VERDICTS = Prepared(select(_ROWS.c.verdicts).where(_ROWS.c.message_id == bindparam("id")))


@dataclass(frozen=True, slots=True)
class PdfCheckedEnvelope(VerifiedEnvelope):
    """A verified envelope with the PDF report to store with it."""

    pdf_report: dict[str, Any] | None = None

    @classmethod
    def of(cls, verified: VerifiedEnvelope, report: dict[str, Any]) -> PdfCheckedEnvelope:
        """``verified`` carrying ``report``."""
        values = {f.name: getattr(verified, f.name) for f in fields(VerifiedEnvelope)}
        return cls(**values, pdf_report=report)


def report_of(verified: object) -> dict[str, Any] | None:
    """The report a (possibly wrapped, e.g. with due times) verified envelope carries."""
    seen: object | None = verified
    while seen is not None:
        report = getattr(seen, "pdf_report", None)
        if report is not None:
            return dict(report)
        seen = getattr(seen, "verified", None)
    return None


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


async def insert_report(
    session: AsyncSession, message_id: str, report: dict[str, Any] | None
) -> None:
    """Store ``report`` of a message being accepted, in the caller's transaction."""
    if report is None:
        return
    values = {"message_id": message_id, "verdicts": report, "checked_at": utcnow()}
    await execute(session, insert(_ROWS).values(values))
    await audit.append(session, "hub", "pdf.verified", message_id, None, audit_detail(report))


class PdfVerdictStore:
    """Read the verdicts of a message."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, message_id: str) -> dict[str, Any] | None:
        """The report of ``message_id``, or None (no PDF, or not checked)."""
        row = (await self.db.query(_VERDICTS, {"id": message_id})).first()
        return dict(row.verdicts) if row is not None else None
