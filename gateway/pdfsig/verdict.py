"""What the hub found in one PDF's signatures, as values and as words.

A PDF is a valid original (Decree 30/2020/NĐ-CP) when it carries a valid signature of the
competent person and one of the issuing organisation. A signing certificate is the
organisation's when its subject's common name is its organisation name (how Vietnamese
CAs issue organisation certificates); any other is a person's.

``status`` of a PDF:

- ``valid``: every signature is valid and both a person's and an organisation's are there;
- ``incomplete``: every signature is valid but the person's or the organisation's is
  missing (``attachment.unsigned`` under ``policy = "refuse"``);
- ``unsigned``: no signature at all (``attachment.unsigned``);
- ``invalid``: a signature is broken, changed after signing, untrusted or expired
  (``attachment.signature_invalid``);
- ``unreadable``: the file is not a PDF pyHanko can read (``attachment.signature_invalid``);
- ``unchecked``: the check did not finish; ``limit`` says why: ``cpu`` (it needed more CPU
  than ``[pdf] check_cpu_seconds`` allows, ``attachment.check_timeout``), ``memory`` (more
  than ``[pdf] check_memory_mib``, ``attachment.check_out_of_memory``) or ``crash`` (its
  worker process died, ``attachment.check_failed``); see :mod:`gateway.pdfsig.sandbox`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["PdfVerdict", "SignatureVerdict", "summary", "verdict_from_json"]

PERSON = "person"
ORGANISATION = "organisation"

_KIND_WORDS = {
    "vi": {
        PERSON: "cá nhân",
        ORGANISATION: "tổ chức",
        "signatures": "chữ ký",
        "none": "không có chữ ký",
        "unchecked": "chưa kiểm tra được chữ ký",
    },
    "en": {
        PERSON: "person",
        ORGANISATION: "organisation",
        "signatures": "signatures",
        "none": "no signature",
        "unchecked": "signatures not checked",
    },
}


@dataclass(frozen=True)
class SignatureVerdict:
    """One signature field of a PDF, checked."""

    field: str
    signer: str
    organisation: str
    kind: str  # person | organisation
    signed_at: str | None  # the signer's claimed time (ISO 8601), or a timestamp's
    timestamped: bool
    intact: bool  # the signed bytes are unchanged and the signature math holds
    modified_after_signing: bool
    trusted: bool  # the certificate chains to an anchor of the trust list, in validity
    revocation: str  # "good", "revoked", or "not checked: why"
    problem: str | None = None
    certificate_sha256: str = ""
    #: What answered "good" or "revoked": ``OCSP`` or ``CRL`` ("" when not checked).
    revocation_source: str = ""

    @property
    def ok(self) -> bool:
        """Intact, unchanged since, trusted, not revoked."""
        return (
            self.intact
            and not self.modified_after_signing
            and self.trusted
            and self.revocation != "revoked"
        )


@dataclass(frozen=True)
class PdfVerdict:
    """One PDF attachment's signatures and what they add up to."""

    name: str
    sha256: str
    status: str
    signatures: tuple[SignatureVerdict, ...] = ()
    problem: str | None = None
    checked_at: str = ""
    kinds: tuple[str, ...] = field(default=())
    #: Why an ``unchecked`` PDF was not checked: ``cpu``, ``memory`` or ``crash``.
    limit: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSON form (status views, the evidence bundle)."""
        out = asdict(self)
        out["signatures"] = [dict(asdict(s), ok=s.ok) for s in self.signatures]
        out["kinds"] = list(self.kinds)
        out["summary"] = {"vi": summary(self, "vi"), "en": summary(self, "en")}
        return out


def verdict_from_json(data: dict[str, Any]) -> PdfVerdict:
    """The inverse of :meth:`PdfVerdict.to_json`."""
    sigs = tuple(
        SignatureVerdict(**{k: v for k, v in s.items() if k != "ok"})
        for s in data.get("signatures", [])
    )
    return PdfVerdict(
        name=data["name"],
        sha256=data["sha256"],
        status=data["status"],
        signatures=sigs,
        problem=data.get("problem"),
        checked_at=data.get("checked_at", ""),
        kinds=tuple(data.get("kinds", ())),
        limit=data.get("limit", ""),
    )


def summary(verdict: PdfVerdict, lang: str = "vi") -> str:
    """``2 chữ ký: cá nhân ✔, tổ chức ✔`` / ``2 signatures: person ✔, organisation ✔``."""
    words = _KIND_WORDS.get(lang, _KIND_WORDS["en"])
    if verdict.status == "unchecked":
        return f"{words['unchecked']} ({verdict.problem})"
    if verdict.status == "unreadable":
        return f"{words['none']} ({verdict.problem})"
    if not verdict.signatures:
        return words["none"]
    marks = ", ".join(
        f"{words.get(s.kind, s.kind)} {'✔' if s.ok else '✘'}" for s in verdict.signatures
    )
    return f"{len(verdict.signatures)} {words['signatures']}: {marks}"
