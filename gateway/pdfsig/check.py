"""Check every signature of one PDF with pyHanko against the PDF trust list.

For each signature: who signed (subject), when (the signer's claimed time, or its RFC 3161
timestamp), whether the signed bytes are intact, whether the document was changed after
signing in a way a signature may not allow, whether the certificate chains to a trust
anchor and was valid, and revocation: checked by CRL/OCSP when fetching is on and the
certificate names a CRL or responder that answers, otherwise "not checked" with why.

pyHanko is imported here only (it is slow to import and warns about DSA on import).
"""

from __future__ import annotations

import hashlib
import io
import logging
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from asn1crypto import x509 as ax509

from gateway.pdfsig.verdict import ORGANISATION, PERSON, PdfVerdict, SignatureVerdict

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pyHanko imports cryptography's deprecated DSA
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

__all__ = ["PdfChecker", "is_pdf"]

# pyHanko logs a traceback for every signature it cannot trust; the verdict says why.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)

#: A signing certificate must allow signing (either usage is common with VN CAs).
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})
#: A PDF starts with this marker within its first kilobyte (ISO 32000-1, 7.5.2 and
#: the implementation note readers follow).
_PDF_HEADER = b"%PDF-"
_HEADER_WINDOW = 1024
#: At most this many signatures of one PDF are checked (a hostile file may hold thousands).
_MAX_SIGNATURES = 16


def is_pdf(head: bytes, name: str, media_type: str) -> bool:
    """Whether an attachment is a PDF: by its first bytes, its type or its name."""
    return (
        head.startswith(b"%PDF-")
        or media_type.lower() == "application/pdf"
        or name.lower().endswith(".pdf")
    )


class PdfChecker:
    """Checks PDFs against trust anchors (a callable, so the list may change)."""

    def __init__(
        self, anchors: Callable[[], list[ax509.Certificate]], *, fetch_revocation: bool = False
    ) -> None:
        self.anchors = anchors
        self.fetch = fetch_revocation

    def __call__(
        self, data: bytes | Path, name: str, *, sha256: str = "", now: datetime | None = None
    ) -> PdfVerdict:
        """The verdict of one PDF, its bytes or its file (never raises for what it holds)."""
        if isinstance(data, Path):
            with data.open("rb") as stream:
                return self._check(stream, name, sha256, now)
        sha = sha256 or hashlib.sha256(data).hexdigest()
        return self._check(io.BytesIO(data), name, sha, now)

    def _check(self, stream: BinaryIO, name: str, sha: str, now: datetime | None) -> PdfVerdict:
        now = now or datetime.now(UTC)
        at = now.isoformat()
        if _PDF_HEADER not in stream.read(_HEADER_WINDOW):
            # named or typed as a PDF but not one: parsing it leniently costs a scan of the
            # whole file for nothing, so it is refused before the parser sees it
            return PdfVerdict(name, sha, "unreadable", problem="not a PDF file", checked_at=at)
        stream.seek(0)
        try:
            sigs = self._signatures(stream)
        except MemoryError:
            raise  # the worker answers it (sandbox.py), not a verdict about the file
        except Exception as exc:  # any parse failure of a hostile file
            return PdfVerdict(name, sha, "unreadable", problem=_short(exc), checked_at=at)
        verdicts = tuple(self._one(s, now) for s in sigs[:_MAX_SIGNATURES])
        return PdfVerdict(
            name,
            sha,
            _status(verdicts),
            verdicts,
            problem=_problem(verdicts),
            checked_at=at,
            kinds=tuple(sorted({v.kind for v in verdicts if v.ok})),
        )

    def _signatures(self, stream: BinaryIO) -> Sequence[EmbeddedPdfSignature]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfFileReader(stream, strict=False)
            return list(reader.embedded_signatures)

    def _context(self, now: datetime, mode: str) -> ValidationContext:
        return ValidationContext(
            trust_roots=self.anchors(),
            moment=now,
            allow_fetching=self.fetch,
            revocation_mode=mode,
        )

    def _validate(
        self, sig: EmbeddedPdfSignature, now: datetime, mode: str
    ) -> tuple[PdfSignatureStatus, ValidationContext]:
        context = self._context(now, mode)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            status = validate_pdf_signature(sig, context, key_usage_settings=_KEY_USAGE)
        return status, context

    def _one(self, sig: EmbeddedPdfSignature, now: datetime) -> SignatureVerdict:
        field = str(sig.field_name or "")
        try:
            status, context = self._validate(sig, now, "soft-fail")
        except MemoryError:
            raise
        except Exception as exc:  # a malformed signature dictionary or CMS
            return _broken(sig, field, _short(exc))
        cert = status.signing_cert
        revocation, source = self._revocation(sig, status, context, now)
        trusted = bool(status.trusted) and revocation != "revoked"
        return SignatureVerdict(
            field=field,
            signer=_cn(cert),
            organisation=_org(cert),
            kind=_kind(cert),
            signed_at=_signed_at(status),
            timestamped=status.timestamp_validity is not None,
            intact=bool(status.intact and status.valid),
            modified_after_signing=_modified(status),
            trusted=trusted,
            revocation=revocation,
            revocation_source=source,
            problem=_trust_problem(status, cert, now),
            certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        )

    def _revocation(
        self,
        sig: EmbeddedPdfSignature,
        status: PdfSignatureStatus,
        context: ValidationContext,
        now: datetime,
    ) -> tuple[str, str]:
        """``(revocation, source)``: "good" or "revoked" with the source that said so
        (``OCSP`` or ``CRL``), or "not checked: why" with no source."""
        if status.revocation_details is not None:
            return "revoked", _source(context)
        if not status.trusted:
            return "not checked: the certificate is not trusted", ""
        if not self.fetch:
            return "not checked: fetching CRL/OCSP is off ([pdf] fetch_revocation)", ""
        cert = status.signing_cert
        if not (cert.crl_distribution_points_value or cert.ocsp_urls):
            return "not checked: the certificate names no CRL or OCSP responder", ""
        try:
            strict, context = self._validate(sig, now, "hard-fail")
        except MemoryError:
            raise
        except Exception:  # unreachable responders surface as errors too
            return _UNREACHABLE, ""
        if strict.revocation_details is not None:
            return "revoked", _source(context)
        return ("good", _source(context)) if strict.trusted else (_UNREACHABLE, "")


_UNREACHABLE = "not checked: CRL/OCSP not reachable"


def _source(context: ValidationContext) -> str:
    """Which revocation information the validation fetched or was given: OCSP first."""
    manager = context.revinfo_manager
    if manager.ocsps:
        return "OCSP"
    return "CRL" if manager.crls else ""


def _broken(sig: EmbeddedPdfSignature, field: str, problem: str) -> SignatureVerdict:
    try:
        cert: ax509.Certificate | None = sig.signer_cert
    except MemoryError:
        raise
    except Exception:
        cert = None
    return SignatureVerdict(
        field=field,
        signer=_cn(cert) if cert else "",
        organisation=_org(cert) if cert else "",
        kind=_kind(cert) if cert else PERSON,
        signed_at=None,
        timestamped=False,
        intact=False,
        modified_after_signing=False,
        trusted=False,
        revocation="not checked: the signature could not be read",
        problem=problem,
    )


def _attr(cert: ax509.Certificate, key: str) -> str:
    value = cert.subject.native.get(key, "")
    return str(value[0] if isinstance(value, list) else value)


def _cn(cert: ax509.Certificate) -> str:
    return _attr(cert, "common_name")


def _org(cert: ax509.Certificate) -> str:
    return _attr(cert, "organization_name")


def _kind(cert: ax509.Certificate) -> str:
    org = _org(cert).casefold().strip()
    return ORGANISATION if org and org == _cn(cert).casefold().strip() else PERSON


def _signed_at(status: PdfSignatureStatus) -> str | None:
    if status.timestamp_validity is not None:
        return status.timestamp_validity.timestamp.astimezone(UTC).isoformat()
    claimed = status.signer_reported_dt
    return claimed.astimezone(UTC).isoformat() if claimed else None


def _modified(status: PdfSignatureStatus) -> bool:
    if not status.intact:
        return True
    if status.coverage not in (
        SignatureCoverageLevel.ENTIRE_FILE,
        SignatureCoverageLevel.ENTIRE_REVISION,
    ):
        return True
    level = status.modification_level
    return level is not None and level > ModificationLevel.FORM_FILLING


def _trust_problem(
    status: PdfSignatureStatus, cert: ax509.Certificate, now: datetime
) -> str | None:
    if not (status.intact and status.valid):
        return "the signature does not match the signed bytes"
    if _modified(status):
        return "the document was changed after this signature"
    if cert.not_valid_after < now:
        return f"the certificate expired on {cert.not_valid_after.date().isoformat()}"
    if cert.not_valid_before > now:
        return "the certificate is not valid yet"
    if not status.trusted:
        why = status.trust_problem_indic
        return f"no chain to the PDF trust list ({why or 'untrusted'})"
    return None


def _status(verdicts: tuple[SignatureVerdict, ...]) -> str:
    if not verdicts:
        return "unsigned"
    if not all(v.ok for v in verdicts):
        return "invalid"
    kinds = {v.kind for v in verdicts}
    return "valid" if {PERSON, ORGANISATION} <= kinds else "incomplete"


def _problem(verdicts: tuple[SignatureVerdict, ...]) -> str | None:
    bad = next((v for v in verdicts if not v.ok), None)
    if bad is not None:
        return f"{bad.kind} signature {bad.field!r}: {bad.problem or 'invalid'}"
    if not verdicts:
        return "the PDF carries no signature"
    kinds = {v.kind for v in verdicts}
    missing = [k for k in (PERSON, ORGANISATION) if k not in kinds]
    return f"no {' or '.join(missing)} signature" if missing else None


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:300]
