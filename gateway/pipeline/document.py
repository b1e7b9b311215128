"""Build an :class:`Envelope` from multipart metadata JSON and already-stored files.

The metadata JSON is the public contract of DESIGN.md ("Metadata JSON for multipart
submit"): ``to`` (unit or group codes, required), ``subject`` (required), ``kind`` with
``refers_to``, ``number``, ``notation``, ``doc_type``, ``issued_on``, ``signer``,
``urgency``, ``confidentiality``, ``due_date``. Anything wrong is a ``request.*`` error.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from gateway.envelope.attachments import check_unique_names
from gateway.envelope.model import Attachment, DocumentMeta, Envelope, Kind, check_unit_code
from gateway.errors import EnvelopeError, GatewayError, RequestError
from gateway.text import nfc
from gateway.untrusted import bounded_number, clean_text
from gateway.urgency import parse_urgency

__all__ = ["KNOWN_FIELDS", "FileLike", "UploadedFile", "adopt_envelope", "build_envelope"]

KNOWN_FIELDS = frozenset(
    {
        "to",
        "subject",
        "kind",
        "refers_to",
        "number",
        "notation",
        "doc_type",
        "issued_on",
        "signer",
        "urgency",
        "confidentiality",
        "due_date",
        "expires_in",
        "content",
    }
)
_MAX_TEXT = 2000
_MAX_RECIPIENTS = 10_000
#: ``expires_in`` is at most ten years, in seconds.
_MAX_EXPIRES_IN = 10 * 366 * 86_400


class FileLike(Protocol):
    """Anything shaped like :class:`UploadedFile` (the API has its own)."""

    @property
    def name(self) -> str: ...

    @property
    def media_type(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part the API already streamed into the blob store."""

    name: str
    media_type: str
    sha256: str
    size: int


def build_envelope(
    sender: str,
    metadata: Mapping[str, Any],
    files: Sequence[FileLike],
    *,
    is_group: Callable[[str], bool],
    now: datetime | None = None,
) -> Envelope:
    """The envelope ``sender`` asks for; ``is_group(code)`` splits ``to`` into units/groups."""
    if not isinstance(metadata, Mapping):
        raise RequestError("metadata must be a JSON object", code="request.invalid")
    unknown = set(metadata) - KNOWN_FIELDS
    if unknown:
        raise RequestError(f"unknown metadata fields {sorted(unknown)}", code="request.invalid")
    addressees = _addressees(metadata.get("to"))
    attachments = tuple(_attachment(f) for f in files)
    check_unique_names(attachments)
    created = now or datetime.now(UTC)
    kind = _kind(metadata.get("kind"))
    refers_to = _uuid(metadata.get("refers_to"), "refers_to")
    if kind is not Kind.NEW and refers_to is None:
        raise RequestError(f"kind {kind} needs refers_to", code="request.missing_field")
    return Envelope(
        message_id=uuid.uuid4(),
        sender=sender,
        recipients=tuple(c for c in addressees if not is_group(c)),
        groups=tuple(c for c in addressees if is_group(c)),
        created=created,
        expires=_expires(metadata.get("expires_in"), created),
        document=_document(metadata),
        kind=kind,
        refers_to=refers_to,
        attachments=attachments,
    )


def adopt_envelope(
    sender: str,
    given: Envelope,
    files: Sequence[FileLike],
    *,
    is_group: Callable[[str], bool],
    now: datetime | None = None,
) -> Envelope:
    """An adapter's own (unsigned) envelope, e.g. mapped from edXML, ready for the hub
    to seal: its id, metadata and extensions are kept; ``created`` becomes now (the
    moment of sealing); its manifest must name exactly the uploaded ``files``."""
    if given.sender != sender:
        raise EnvelopeError(
            f"the envelope is from {given.sender}, the caller is {sender}",
            code="envelope.sender_mismatch",
            message_id=str(given.message_id),
        )
    check_unique_names(given.attachments, str(given.message_id))
    manifest = sorted((a.name, a.sha256, a.size) for a in given.attachments)
    if manifest != sorted((f.name, f.sha256, f.size) for f in files):
        raise RequestError(
            "the envelope's attachments are not the uploaded files", code="request.invalid"
        )
    addressees = _addressees(list(dict.fromkeys(given.recipients + given.groups)))
    return replace(
        given,
        recipients=tuple(c for c in addressees if not is_group(c)),
        groups=tuple(c for c in addressees if is_group(c)),
        created=now or datetime.now(UTC),
    )


def _addressees(value: Any) -> list[str]:
    if value is None or value == [] or value == "":
        raise RequestError("metadata needs 'to'", code="request.missing_field")
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(c, str) for c in items):
        raise RequestError("'to' must be a list of unit or group codes", code="request.invalid")
    if len(items) > _MAX_RECIPIENTS:
        raise RequestError("too many recipients", code="request.invalid")
    codes: list[str] = []
    for raw in items:
        code = raw.strip()
        try:
            check_unit_code(code)
        except GatewayError as exc:
            raise RequestError(f"bad recipient code {code!r}", code="request.invalid") from exc
        if code not in codes:
            codes.append(code)
    return codes


def _document(metadata: Mapping[str, Any]) -> DocumentMeta:
    subject = _text(metadata.get("subject"), "subject")
    if not subject:
        raise RequestError("metadata needs 'subject'", code="request.missing_field")
    return DocumentMeta(
        subject=subject,
        number=_text(metadata.get("number"), "number"),
        notation=_text(metadata.get("notation"), "notation"),
        doc_type=_text(metadata.get("doc_type"), "doc_type"),
        issued_on=_date(metadata.get("issued_on"), "issued_on"),
        signer_name=_text(metadata.get("signer"), "signer"),
        urgency=_urgency(metadata.get("urgency")),
        confidentiality=_text(metadata.get("confidentiality"), "confidentiality"),
        due_date=_date(metadata.get("due_date"), "due_date"),
        content=_text(metadata.get("content"), "content"),
    )


def _text(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RequestError(f"'{name}' must be a string", code="request.invalid")
    value = nfc(clean_text(value, name).strip())
    if len(value) > _MAX_TEXT:
        raise RequestError(f"'{name}' is too long", code="request.invalid")
    return value or None


def _date(value: Any, name: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise RequestError(f"'{name}' must be a date YYYY-MM-DD", code="request.invalid") from exc


def _kind(value: Any) -> Kind:
    if value is None or value == "":
        return Kind.NEW
    try:
        return Kind(str(value).lower())
    except ValueError as exc:
        raise RequestError(f"unknown kind {value!r}", code="request.invalid") from exc


def _uuid(value: Any, name: str) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise RequestError(f"'{name}' must be a message id", code="request.invalid") from exc


def _expires(value: Any, created: datetime) -> datetime | None:
    if value is None:
        return None
    seconds = bounded_number(value, "expires_in", low=0, high=_MAX_EXPIRES_IN)
    return created + timedelta(seconds=seconds)


def _attachment(f: FileLike) -> Attachment:
    return Attachment(name=nfc(f.name), media_type=f.media_type, size=f.size, sha256=f.sha256)


def _urgency(value: Any) -> str | None:
    """The edXML Priority code of ``urgency`` (a code or a name), or ``None`` if absent;
    anything else is ``request.bad_urgency``."""
    return None if value is None else parse_urgency(value).code
