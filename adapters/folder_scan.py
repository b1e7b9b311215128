"""Reading one dropped file of a folder adapter into an :class:`InboundItem`.

- ``NAME.edxml``: an edXML document (→ a document the hub seals for the unit) or an
  edXML status message (→ a receipt), mapped with :mod:`gateway.edxml.mapping`.
- ``NAME.xml``: a signed Lienthong envelope; the files its manifest names are in the
  directory ``NAME/`` next to it.
- ``NAME.json``: a status: ``{"message_id": "…", "status": "03", "reason": "…"}``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from adapters.base import InboundFile, InboundItem
from gateway.edxml.mapping import edxml_status_to_receipt, edxml_to_envelope
from gateway.edxml.model import EdxmlDocument
from gateway.edxml.reader import read_message
from gateway.envelope.model import Attachment, Envelope
from gateway.errors import EnvelopeError, LimitError, RequestError

__all__ = ["SUFFIXES", "read_drop"]

SUFFIXES = (".edxml", ".xml", ".json")
_MAX_BYTES = 64 * 1024 * 1024


def read_drop(path: Path, unit: str) -> InboundItem:
    """The inbound item for one complete dropped file of ``unit``; typed errors if unusable."""
    if path.stat().st_size > _MAX_BYTES:
        raise LimitError(f"{path.name} is larger than {_MAX_BYTES} bytes")
    data = path.read_bytes()
    if path.suffix == ".edxml":
        return _edxml(path.name, data, unit)
    if path.suffix == ".xml":
        return InboundItem(key=path.name, kind="envelope", xml=data, files=_dir_files(path))
    if path.suffix == ".json":
        return _status_json(path.name, data)
    raise RequestError(
        f"{path.name}: only .edxml, .xml and .json files are taken",
        code="request.unsupported_media_type",
    )


def _dir_files(path: Path) -> tuple[InboundFile, ...]:
    folder = path.with_suffix("")
    if not folder.is_dir():
        return ()
    return tuple(
        InboundFile(name=f.name, path=f)
        for f in sorted(folder.iterdir())
        if f.is_file() and not f.name.startswith(".")
    )


def _edxml(key: str, data: bytes, unit: str) -> InboundItem:
    message = read_message(data)
    if isinstance(message, EdxmlDocument):
        files: list[InboundFile] = []
        env = edxml_to_envelope(message, _collector(files))
        if env.sender != unit:
            raise EnvelopeError(
                f"{key}: From is {env.sender}, the folder belongs to {unit}",
                code="envelope.sender_mismatch",
            )
        return InboundItem(
            key=key,
            kind="document",
            metadata=envelope_metadata(env),
            files=tuple(files),
            message_id=str(env.message_id),
            envelope=env,
        )
    receipt = edxml_status_to_receipt(message)
    return InboundItem(
        key=key,
        kind="receipt",
        message_id=str(receipt.message_id),
        status=receipt.status.code,
        reason=receipt.reason,
    )


def _collector(files: list[InboundFile]) -> Any:
    """A ``store_blob`` for the mapping that keeps the bytes for the runner to upload."""

    def store(name: str, media_type: str, data: bytes) -> Attachment:
        files.append(InboundFile(name=name, media_type=media_type, data=data))
        return Attachment(name, media_type, len(data), hashlib.sha256(data).hexdigest())

    return store


def envelope_metadata(env: Envelope) -> dict[str, Any]:
    """The multipart metadata JSON (DESIGN.md) for an (unsigned) envelope."""
    meta = env.document
    values: dict[str, Any] = {
        "to": list(env.recipients + env.groups),
        "subject": meta.subject,
        "kind": env.kind.value,
        "refers_to": str(env.refers_to) if env.refers_to else None,
        "number": meta.number,
        "notation": meta.notation,
        "doc_type": meta.doc_type,
        "issued_on": meta.issued_on.isoformat() if meta.issued_on else None,
        "signer": meta.signer_name,
        "urgency": meta.urgency,
        "confidentiality": meta.confidentiality,
        "due_date": meta.due_date.isoformat() if meta.due_date else None,
        "content": meta.content,
    }
    return {k: v for k, v in values.items() if v is not None}


def _status_json(key: str, data: bytes) -> InboundItem:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestError(f"{key} is not valid JSON", code="request.bad_json") from exc
    if not isinstance(body, dict) or not body.get("message_id") or not body.get("status"):
        raise RequestError(f"{key} needs message_id and status", code="request.missing_field")
    reason = body.get("reason")
    return InboundItem(
        key=key,
        kind="receipt",
        message_id=str(body["message_id"]),
        status=str(body["status"]),
        reason=str(reason) if reason is not None else None,
    )
