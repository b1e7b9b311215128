"""Check an evidence bundle without the hub (``lienthong evidence verify FILE.zip``).

In order, stopping at the first failure (its code names the check):

1. ``evidence.unreadable``: a zip with ``manifest.json`` of format lienthong-evidence/1;
2. ``evidence.manifest_signature``: ``manifest.sig`` is the hub signing certificate's
   signature over ``manifest.json``, and that certificate chains to the hub CA;
3. ``evidence.file_digest``: every listed file is there with its SHA-256, nothing more;
4. ``evidence.envelope``: the envelope's XML signature holds (hub CA, CRLs, at the time
   it was accepted), the sender signed it, its manifest names the files of the bundle;
5. ``evidence.receipt``: every receipt's XML signature holds and names this message; the
   PDF verdicts a receipt carries (``urn:lienthong:pdfsig:1``) are well-formed and the
   same as the bundle's ``pdf-verdicts.json``;
6. ``evidence.audit``: every audit entry's hash is recomputed from its content and the hash
   before it; consecutive entries link; the accepted entry names the envelope's digest;
7. ``evidence.timestamp``: every token is a valid RFC 3161 token over what it stamps (the
   accepted entry's hash, the receipt's SHA-256, the audit head), from a TSA of the trust
   list when one is given;
8. ``evidence.pdf``: each PDF's signatures, checked again, give the verdict stated; each
   check runs in a worker process within CPU and memory limits (``evidence.pdf_check_limit``
   past them, ``evidence.pdf_check_failed`` when the worker dies; see :mod:`.pdfs`).

The hub CA is the bundle's own unless ``ca`` pins it; likewise the TSA and PDF trust lists.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from asn1crypto import pem
from asn1crypto import x509 as ax509
from cryptography import x509

from gateway.envelope.model import Receipt
from gateway.envelope.verify import verify_envelope, verify_receipt
from gateway.errors import GatewayError
from gateway.evidence.bundle import FORMAT
from gateway.evidence.pdfs import PdfLimits, check_pdfs
from gateway.evidence.report import Failure, Report
from gateway.evidence.sign import signature_holds
from gateway.pdfsig.receipt import verdicts_of
from gateway.pki.trust import TrustStore
from gateway.store import audit
from gateway.timestamps.tsa import check_token

__all__ = ["Failure", "PdfLimits", "Report", "verify_bundle"]

#: A bundle member larger than this is refused (a zip bomb).
_MAX_MEMBER = 2 << 30


class _Bundle:
    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
            self.manifest_bytes = self.read("manifest.json")
            self.manifest: dict[str, Any] = json.loads(self.manifest_bytes)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
            raise Failure("evidence.unreadable", f"{path}: {exc}") from exc
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise Failure("evidence.unreadable", f"not a {FORMAT} bundle")

    def read(self, name: str) -> bytes:
        info = self.zip.getinfo(name)
        if info.file_size > _MAX_MEMBER:
            raise Failure("evidence.unreadable", f"{name} is too large")
        return self.zip.read(info)

    def sha256(self, name: str) -> str:
        """A member's SHA-256, read in chunks (an attachment may be large)."""
        digest = hashlib.sha256()
        with self.zip.open(name) as member:
            while chunk := member.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()

    def prefixed(self, prefix: str) -> list[bytes]:
        return [self.read(n) for n in sorted(self.zip.namelist()) if n.startswith(prefix)]


def _pems(blobs: list[bytes]) -> list[bytes]:
    ders: list[bytes] = []
    for data in blobs:
        if pem.detect(data):
            ders.extend(der for _, _, der in pem.unarmor(data, multiple=True))
        else:
            ders.append(data)
    return ders


def _hub_trust(b: _Bundle, ca: Path | None) -> TrustStore:
    cas = [x509.load_der_x509_certificate(d) for d in _pems(
        [ca.read_bytes()] if ca is not None else b.prefixed("certs/hub-ca/")
    )]  # fmt: skip
    crls = [x509.load_pem_x509_crl(d) for d in b.prefixed("certs/hub-crl/")]
    return TrustStore.of(cas, crls)


def _check_manifest(b: _Bundle, trust: TrustStore) -> x509.Certificate:
    cert = x509.load_pem_x509_certificate(b.read("certs/hub-signer.pem"))
    if not signature_holds(cert, b.manifest_bytes, b.read("manifest.sig")):
        raise Failure("evidence.manifest_signature", "manifest.sig does not match manifest.json")
    made = datetime.fromisoformat(b.manifest["made_at"])
    try:
        trust.check(cert, made)
    except GatewayError as exc:
        raise Failure("evidence.manifest_signature", f"hub certificate: {exc.message}") from exc
    return cert


def _check_files(b: _Bundle) -> None:
    listed = {f["path"]: f for f in b.manifest["files"]}
    present = set(b.zip.namelist()) - {"manifest.json", "manifest.sig"}
    if extra := present - set(listed):
        raise Failure("evidence.file_digest", f"not in the manifest: {sorted(extra)[0]}")
    for path, f in listed.items():
        if path not in present:
            raise Failure("evidence.file_digest", f"missing: {path}")
        if b.sha256(path) != f["sha256"]:
            raise Failure("evidence.file_digest", f"{path} is not the file the hub listed")


def _check_envelope(b: _Bundle, trust: TrustStore, report: Report) -> tuple[str, str]:
    data = b.read("envelope.xml")
    at = datetime.fromisoformat(b.manifest["accepted_at"])
    try:
        verified = verify_envelope(data, trust, now=at, max_bytes=len(data) + 1)
    except GatewayError as exc:
        raise Failure("evidence.envelope", f"{exc.code}: {exc.message}") from exc
    env = verified.envelope
    if str(env.message_id) != b.manifest["message_id"] or env.sender != verified.signer_unit:
        raise Failure(
            "evidence.envelope", "the envelope is not this message's, or not its sender's"
        )
    named = sorted((a.name, a.sha256) for a in env.attachments)
    if named != sorted((a["name"], a["sha256"]) for a in b.manifest["attachments"]):
        raise Failure("evidence.envelope", "the files differ from those the envelope signs")
    files = ", ".join(f"{a.name} (SHA-256 {a.sha256[:16]}…)" for a in env.attachments)
    report.message_id = str(env.message_id)
    report.proves.append(
        f"sent: {env.sender} signed message {env.message_id} “{env.document.subject}” "
        f"to {', '.join(env.all_addressees())} with {files or 'no files'}; "
        f"the hub accepted it at {b.manifest['accepted_at']}"
    )
    return verified.digest, env.sender


def _check_receipts(b: _Bundle, trust: TrustStore, report: Report) -> dict[str, str]:
    digests = {}
    stated: dict[str, Any] | None = json.loads(b.read("pdf-verdicts.json"))
    for r in b.manifest["receipts"]:
        data = b.read(r["path"])
        try:
            verified = verify_receipt(data, trust, max_bytes=len(data) + 1, now=_receipt_time(data))
        except GatewayError as exc:
            raise Failure(
                "evidence.receipt", f"{r['receipt_id']}: {exc.code}: {exc.message}"
            ) from exc
        rc = verified.receipt
        if str(rc.message_id) != b.manifest["message_id"]:
            raise Failure("evidence.receipt", f"{r['receipt_id']} is about another message")
        digests[str(rc.receipt_id)] = verified.digest
        why = f" ({rc.reason})" if rc.reason else ""
        report.proves.append(
            f"answered: {rc.recipient} {rc.status.code} {rc.status.name.lower()}{why}, "
            f"signed by {verified.signer_unit} at {rc.timestamp.isoformat()}"
        )
        _check_carried(r["receipt_id"], rc, stated, report)
    return digests


def _essence(files: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What of a PDF verdict a receipt must state as the bundle does."""
    return sorted(
        (
            f["sha256"],
            f["status"],
            tuple((s["kind"], s["ok"], s["certificate_sha256"]) for s in f["signatures"]),
        )
        for f in files
    )


def _check_carried(
    receipt_id: str, receipt: Receipt, stated: dict[str, Any] | None, report: Report
) -> None:
    """The PDF verdicts ``receipt`` carries, if any, against the bundle's."""
    try:
        carried = verdicts_of(receipt)
    except GatewayError as exc:
        raise Failure("evidence.receipt", f"{receipt_id}: {exc.code}: {exc.message}") from exc
    if carried is None:
        return
    if stated is None or _essence(carried["files"]) != _essence(stated["files"]):
        raise Failure(
            "evidence.receipt", f"{receipt_id}: its PDF verdicts differ from pdf-verdicts.json"
        )
    files = ", ".join(f"{f['name']} {f['status']}" for f in carried["files"])
    report.proves.append(f"receipt {receipt_id} carries the hub's PDF verdicts: {files}")


def _receipt_time(data: bytes) -> datetime | None:
    """The receipt's own time (its signer's certificate is checked as of then)."""
    from gateway.envelope.codec import receipt_from_element
    from gateway.xmlsafe import parse_xml

    try:
        return receipt_from_element(parse_xml(data, max_bytes=len(data) + 1)).timestamp
    except (GatewayError, ValueError):
        return None


def _check_audit(b: _Bundle, envelope_digest: str) -> dict[int, str]:
    entries = json.loads(b.read("audit.json"))
    hashes: dict[int, str] = {}
    prev: dict[str, Any] | None = None
    for e in entries:
        fields = {k: e[k] for k in ("seq", "actor", "action", "message_id", "unit", "detail")}
        at = datetime.fromisoformat(e["at"])
        if audit.entry_hash(e["prev_hash"], at=at, **fields) != e["hash"]:
            raise Failure("evidence.audit", f"entry {e['seq']} does not hash to its hash")
        if prev is not None and prev["seq"] + 1 == e["seq"] and e["prev_hash"] != prev["hash"]:
            raise Failure("evidence.audit", f"entry {e['seq']} does not link to {prev['seq']}")
        if e["action"] == "message.accepted" and e["detail"].get("digest") != envelope_digest:
            raise Failure("evidence.audit", "the accepted entry names another envelope")
        hashes[e["seq"]] = e["hash"]
        prev = e
    return hashes


def _anchors(blobs: list[bytes]) -> list[ax509.Certificate]:
    return [ax509.Certificate.load(d) for d in _pems(blobs)]


def _trust_files(b: _Bundle, folder: Path | None, prefix: str) -> list[ax509.Certificate]:
    """The certificates of ``folder`` when given, else those the bundle carries."""
    if folder is None:
        return _anchors(b.prefixed(prefix))
    return _anchors([p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()])


def _expected(s: dict[str, Any], hashes: dict[int, str], receipts: dict[str, str]) -> Any:
    if s["subject"] == "entry":
        return hashes.get(int(s["ref"]))
    if s["subject"] == "receipt":
        return receipts.get(s["ref"])
    return s["digest"]  # the audit head: its hash is checked with the full log


async def _check_stamps(
    b: _Bundle,
    hashes: dict[int, str],
    receipts: dict[str, str],
    anchors: list[ax509.Certificate],
    report: Report,
) -> None:
    if not anchors:
        report.notes.append("timestamps: no TSA trust list; the TSA's identity is not checked")
    for s in b.manifest["timestamps"]:
        if _expected(s, hashes, receipts) != s["digest"]:
            raise Failure("evidence.timestamp", f"{s['subject']} {s['ref']}: stamps other bytes")
        if s["path"] is None:
            report.notes.append(f"timestamp of {s['subject']} {s['ref']}: waiting at export")
            continue
        check = await check_token(b.read(s["path"]), bytes.fromhex(s["digest"]), anchors)
        if not check.ok:
            raise Failure("evidence.timestamp", f"{s['subject']} {s['ref']}: {check.problem}")
        report.proves.append(
            f"timestamp: {s['subject']} {s['ref']} existed at {check.time} ({check.tsa})"
        )


def _check_pdfs(b: _Bundle, pdf_trust: Path | None, limits: PdfLimits, report: Report) -> None:
    stated = json.loads(b.read("pdf-verdicts.json"))
    if not stated:
        return
    paths = {a["sha256"]: a["path"] for a in b.manifest["attachments"]}
    anchors = _trust_files(b, pdf_trust, "certs/pdf/")
    check_pdfs(stated, lambda sha256: b.read(paths[sha256]), anchors, limits, report)


def verify_bundle(
    path: Path,
    *,
    ca: Path | None = None,
    tsa_trust: Path | None = None,
    pdf_trust: Path | None = None,
    pdf_limits: PdfLimits | None = None,
) -> Report:
    """Check ``path``; the report, or :class:`Failure` at the first failed check. Each PDF
    is checked within ``pdf_limits`` (default: those of ``[pdf]``'s defaults)."""
    b = _Bundle(path)
    report = Report()
    try:
        trust = _hub_trust(b, ca)
        _check_manifest(b, trust)
        _check_files(b)
        digest, _sender = _check_envelope(b, trust, report)
        receipts = _check_receipts(b, trust, report)
        hashes = _check_audit(b, digest)
        tsa = _trust_files(b, tsa_trust, "certs/tsa/")
        asyncio.run(_check_stamps(b, hashes, receipts, tsa, report))
        _check_pdfs(b, pdf_trust, pdf_limits or PdfLimits(), report)
    except (
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
    ) as exc:
        raise Failure("evidence.unreadable", f"malformed bundle: {exc!r}") from exc
    if ca is None:
        report.notes.append("the hub CA was taken from the bundle (pin it with --ca)")
    return report
