"""The PDF signature stage: after verify, before accept; its report is stored after.

Every attachment that is a PDF (by its first bytes, type or name) is checked in a worker
thread; the report is ``{"policy", "flagged", "files": [verdict, …]}``. Under
``policy = "refuse"`` the first PDF that is not a valid original refuses the message:
``attachment.unsigned`` (no signature, or the person's or organisation's missing) or
``attachment.signature_invalid`` (a signature broken, changed after, untrusted, expired,
or the file unreadable) or, when the check did not finish (each check runs in a worker
process, :mod:`.sandbox`), ``attachment.check_timeout`` (over its CPU limit,
``[pdf] check_cpu_seconds``), ``attachment.check_out_of_memory`` (over its memory limit,
``[pdf] check_memory_mib``) or ``attachment.check_failed`` (its worker died).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Protocol, cast

from gateway.config import Config
from gateway.envelope.model import Attachment
from gateway.envelope.verify import VerifiedEnvelope
from gateway.errors import EnvelopeError
from gateway.pdfsig.check import is_pdf
from gateway.pdfsig.sandbox import UNCHECKED, BoundedChecker
from gateway.pdfsig.store import PdfCheckedEnvelope, PdfVerdictStore
from gateway.pdfsig.trustlist import TrustList
from gateway.pdfsig.verdict import PdfVerdict
from gateway.store.db import Database

__all__ = ["PdfSignatures", "build_pdf_stage"]

#: The refusal code of each status that is not ``valid`` (others: signature_invalid).
_CODES = {
    "unsigned": "attachment.unsigned",
    "incomplete": "attachment.unsigned",
}
#: The refusal code of an ``unchecked`` PDF, by why it was not checked.
_LIMIT_CODES = {
    "cpu": "attachment.check_timeout",
    "memory": "attachment.check_out_of_memory",
}


def _code(verdict: PdfVerdict) -> str:
    """The refusal code of a PDF that is not a valid original."""
    if verdict.status == UNCHECKED:
        return _LIMIT_CODES.get(verdict.limit, "attachment.check_failed")
    return _CODES.get(verdict.status, "attachment.signature_invalid")


class Checker(Protocol):
    """One PDF in, its verdict out (:class:`~gateway.pdfsig.check.PdfChecker`, or
    :class:`BoundedChecker` which runs it in a worker process)."""

    def __call__(self, data: bytes | Path, name: str, *, sha256: str = "") -> PdfVerdict: ...


class PdfSignatures:
    """Check a verified envelope's PDFs; apply the hub's policy; store the report."""

    def __init__(
        self, checker: Checker, blobs: object, store: PdfVerdictStore, *, policy: str
    ) -> None:
        self.checker = checker
        self.blobs = blobs
        self.store = store
        self.policy = policy

    async def _file(self, sha: str) -> Path:
        """The blob as a local file (an object store fetches it into its cache)."""
        fetch = getattr(self.blobs, "local_path", None)
        if fetch is not None:
            return cast(Path, await fetch(sha))
        return cast(Path, self.blobs.path(sha))  # type: ignore[attr-defined]

    def _sniff(self, sha: str) -> bool:
        """A local blob that starts like a PDF (an object store's are judged by name)."""
        path = getattr(self.blobs, "path", None)
        if path is None:
            return False
        with cast(Path, path(sha)).open("rb") as f:
            return is_pdf(f.read(8), "", "")

    async def _pdfs(self, attachments: tuple[Attachment, ...]) -> list[tuple[Attachment, Path]]:
        found = []
        for a in attachments:
            if is_pdf(b"", a.name, a.media_type) or await asyncio.to_thread(self._sniff, a.sha256):
                found.append((a, await self._file(a.sha256)))
        return found

    def _check_all(self, files: list[tuple[Attachment, Path]]) -> list[PdfVerdict]:
        return [self.checker(path, a.name, sha256=a.sha256) for a, path in files]

    async def __call__(self, verified: VerifiedEnvelope) -> VerifiedEnvelope:
        """``verified`` carrying the report to store with it (as is when it has no PDF),
        or ``attachment.*`` under the refuse policy."""
        report = await self.check(verified)
        return verified if report is None else PdfCheckedEnvelope.of(verified, report)

    async def check(self, verified: VerifiedEnvelope) -> dict[str, Any] | None:
        """The report (None: no PDF), or ``attachment.*`` under the refuse policy."""
        env = verified.envelope
        files = await self._pdfs(env.attachments)
        if not files:
            return None
        verdicts = await asyncio.to_thread(self._check_all, files)
        if not verdicts:
            return None
        bad = next((v for v in verdicts if v.status != "valid"), None)
        if bad is not None and self.policy == "refuse":
            raise EnvelopeError(
                f"{bad.name}: {bad.problem}", code=_code(bad), message_id=str(env.message_id)
            )
        return {
            "policy": self.policy,
            "flagged": self.policy == "flag" and bad is not None,
            "files": [v.to_json() for v in verdicts],
        }

    async def report(self, message_id: str) -> dict[str, Any] | None:
        """The stored report of a message (None: no PDF, or not stored)."""
        return await self.store.get(message_id)


def build_pdf_stage(config: Config, blobs: object, db: Database) -> PdfSignatures:
    """The stage of this hub, from ``[pdf]``."""
    trust = TrustList(config.pdf_trust_dir)
    checker = BoundedChecker(
        trust.anchors,
        fetch_revocation=config.pdf.fetch_revocation,
        cpu_seconds=config.pdf.check_cpu_seconds,
        memory_mib=config.pdf.check_memory_mib,
    )
    return PdfSignatures(checker, blobs, PdfVerdictStore(db), policy=config.pdf.policy)
