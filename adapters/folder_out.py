"""Writing one outbound item into a drop folder's ``out/``, atomically and by id.

Documents: the files first (``<id>/`` built in a hidden temp directory, then renamed),
the envelope ``<id>.xml`` last, so a reader that sees the XML finds every file. With
``format = "edxml"`` a single ``<id>.edxml`` with the files embedded. Receipts:
``<receipt id>.receipt.json``.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable
from pathlib import Path

from adapters.base import OutboundItem
from adapters.fsutil import atomic_copy, atomic_write, fsync_dir, safe_name
from gateway.edxml.mapping import envelope_to_edxml
from gateway.edxml.writer import write_document
from gateway.envelope.codec import envelope_from_element
from gateway.envelope.model import Attachment
from gateway.xmlsafe import parse_xml

__all__ = ["write_outbound"]

_MAX_XML = 64 * 1024 * 1024


def write_outbound(outbox: Path, item: OutboundItem, fmt: str, step: Callable[[str], None]) -> str:
    """Write ``item`` into ``outbox``; returns the name of the file that signals it."""
    if item.kind == "receipt":
        name = f"{item.ref}.receipt.json"
        atomic_write(outbox / name, item.body)
        return name
    if fmt == "edxml":
        name = f"{item.ref}.edxml"
        atomic_write(outbox / name, _edxml(item))
        return name
    _write_files(outbox, item)
    step("send.files")
    name = f"{item.ref}.xml"
    atomic_write(outbox / name, item.body)
    return name


def _write_files(outbox: Path, item: OutboundItem) -> None:
    if not item.attachments:
        return
    final = outbox / item.ref
    if final.is_dir():
        return  # a crash-retry: the directory appears only complete
    tmp = outbox / f".{item.ref}.{secrets.token_hex(4)}.tmp"
    tmp.mkdir()
    try:
        used: set[str] = set()
        for index, f in enumerate(item.attachments):
            name = safe_name(f.name, index)
            if name in used:
                name = f"{index + 1}-{name}"
            used.add(name)
            atomic_copy(f.path, tmp / name)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_dir(outbox)


def _edxml(item: OutboundItem) -> bytes:
    env = envelope_from_element(parse_xml(item.body, max_bytes=_MAX_XML, max_depth=64))
    paths = {f.sha256: f.path for f in item.attachments}

    def load(attachment: Attachment) -> bytes:
        return paths[attachment.sha256].read_bytes()

    return write_document(envelope_to_edxml(env, load))
