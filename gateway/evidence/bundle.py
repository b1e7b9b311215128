"""Make the evidence bundle of one message from the hub's store (see docs/evidence.md).

Everything goes in as stored: the signed envelope, the files by digest, every signed
receipt, the PDF verdicts, the message's audit entries, the RFC 3161 tokens (its accepted
entry, its receipts, the first audit head stamped after its last entry), and the
certificates to check them: the hub CA and its CRLs, the hub's signing certificate, the
TSA and PDF trust lists. ``manifest.json`` lists every file with its SHA-256 and is
signed by the hub (``manifest.sig``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from gateway.config import Config
from gateway.evidence.sign import sign_manifest
from gateway.pipeline.signers import Signers
from gateway.pki.trust import TrustStore
from gateway.store import Database, MessageStore
from gateway.store.db import execute
from gateway.store.models import AuditRow, ReceiptRow, table, utcnow
from gateway.store.s3blobs import AnyBlobStore
from gateway.timestamps.store import TimestampStore

__all__ = ["FORMAT", "EvidenceSource", "build_bundle"]

FORMAT = "lienthong-evidence/1"
_A = table(AuditRow)
_R = table(ReceiptRow)
_PEM = serialization.Encoding.PEM


class _PdfReports(Protocol):
    async def report(self, message_id: str) -> dict[str, Any] | None: ...


class _Flow(Protocol):
    @property
    def pdf(self) -> _PdfReports | None: ...


class EvidenceSource(Protocol):
    """What a bundle is made from: the parts of :class:`gateway.hub.Hub` it reads."""

    @property
    def config(self) -> Config: ...
    @property
    def db(self) -> Database: ...
    @property
    def messages(self) -> MessageStore: ...
    @property
    def blobs(self) -> AnyBlobStore: ...
    @property
    def flow(self) -> _Flow: ...
    @property
    def timestamps(self) -> TimestampStore: ...
    @property
    def trust(self) -> Callable[[], TrustStore]: ...
    @property
    def signers(self) -> Signers: ...


class _Zip:
    """The zip being written to ``target``, and the manifest's list of files."""

    def __init__(self, target: BinaryIO) -> None:
        self.zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED)
        self.files: list[dict[str, Any]] = []

    def add(self, path: str, data: bytes) -> str:
        self.zip.writestr(path, data)
        self.files.append(
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        )
        return path

    def add_file(self, path: str, source: Path) -> str:
        digest = hashlib.sha256()
        with source.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
        self.zip.write(source, path)
        self.files.append(
            {"path": path, "sha256": digest.hexdigest(), "size": source.stat().st_size}
        )
        return path


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _entry(row: Any) -> dict[str, Any]:
    at = row.at.isoformat()
    keys = ("seq", "actor", "action", "message_id", "unit", "detail", "prev_hash", "hash")
    return {"at": at, **{k: getattr(row, k) for k in keys}}


async def _rows(hub: EvidenceSource, message_id: str) -> tuple[list[Any], list[Any]]:
    async with hub.db.read() as session:
        audit = (
            await execute(
                session, select(_A).where(_A.c.message_id == message_id).order_by(_A.c.seq)
            )
        ).all()
        receipts = (
            await execute(
                session,
                select(_R.c.receipt_id, _R.c.receipt_xml)
                .where(_R.c.message_id == message_id)
                .order_by(_R.c.at, _R.c.receipt_id),
            )
        ).all()
    return list(audit), list(receipts)


def _cert_files(z: _Zip, folder: Path, prefix: str) -> None:
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in (".pem", ".crt", ".cer", ".der") and path.is_file():
                z.add(f"{prefix}/{path.name}", path.read_bytes())


async def _stamps(
    hub: EvidenceSource, z: _Zip, message_id: str, last_seq: int
) -> list[dict[str, Any]]:
    stamps = await hub.timestamps.of_message(message_id)
    head = await hub.timestamps.head_stamp_after(last_seq)
    listed = []
    for s in [*stamps, *([head] if head is not None else [])]:
        entry = {"subject": s.subject, "ref": s.ref, "digest": s.digest, "path": None}
        if s.token is not None:
            entry["path"] = z.add(f"timestamps/{s.subject}-{s.ref}.tst", s.token)
            entry["stamped_at"] = s.stamped_at.isoformat() if s.stamped_at else None
        listed.append(entry)
    return listed


async def build_bundle(hub: EvidenceSource, message_id: str, target: BinaryIO) -> None:
    """Write the zip of ``message_id`` to ``target`` (the caller checked who may have it;
    files are copied from the blob store in a worker thread, never held in memory)."""
    stored = await hub.messages.get(message_id)
    z = _Zip(target)
    z.add("envelope.xml", await hub.messages.envelope_xml(message_id))
    attachments = []
    for a in stored.attachments:
        source = await hub.blobs.local_path(a.sha256)
        path = await asyncio.to_thread(z.add_file, f"attachments/{a.sha256}", source)
        attachments.append({"name": a.name, "media_type": a.media_type, "size": a.size,
                            "sha256": a.sha256, "path": path})  # fmt: skip
    audit, receipts = await _rows(hub, message_id)
    listed_receipts = [
        {"receipt_id": r.receipt_id, "path": z.add(f"receipts/{r.receipt_id}.xml", r.receipt_xml)}
        for r in receipts
    ]
    z.add("audit.json", _json([_entry(r) for r in audit]))
    pdf = await hub.flow.pdf.report(message_id) if hub.flow.pdf is not None else None
    z.add("pdf-verdicts.json", _json(pdf))
    stamps = await _stamps(hub, z, message_id, audit[-1].seq if audit else 0)
    trust = hub.trust()
    for i, ca in enumerate(trust.cas):
        z.add(f"certs/hub-ca/{i}.pem", ca.public_bytes(_PEM))
    for i, crl in enumerate(trust.crls):
        z.add(f"certs/hub-crl/{i}.pem", crl.public_bytes(_PEM))
    _cert_files(z, hub.config.pdf_trust_dir, "certs/pdf")
    _cert_files(z, hub.config.home / hub.config.timestamps.trust_dir, "certs/tsa")
    key, cert = await hub.signers.hub()
    z.add("certs/hub-signer.pem", cert.public_bytes(_PEM))
    manifest = {
        "format": FORMAT,
        "message_id": message_id,
        "hub": hub.config.hub.unit_code,
        "made_at": utcnow().isoformat(),
        "accepted_at": stored.accepted_at.isoformat(),
        "sender": stored.sender,
        "subject": stored.subject,
        "attachments": attachments,
        "receipts": listed_receipts,
        "timestamps": stamps,
        "files": z.files,
    }
    data = _json(manifest)
    z.zip.writestr("manifest.json", data)
    z.zip.writestr("manifest.sig", sign_manifest(key, data))
    z.zip.close()
