"""``lienthong edxml``: map edXML messages to envelopes/receipts and back, offline.

``import FILE.edxml`` reads a document (or status) message, stores the decoded
attachments in the blob store (``HOME/blobs``, by SHA-256) and prints the unsigned
envelope (or receipt) XML it maps to. ``export FILE.xml`` reads an envelope (or receipt),
loads its attachments back from the blob store and prints the edXML message.
Both print to stdout unless ``-o``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from lxml import etree

from gateway.cli.common import CliContext, pass_cli
from gateway.edxml.mapping import (
    edxml_status_to_receipt,
    edxml_to_envelope,
    envelope_to_edxml,
    receipt_to_edxml_status,
)
from gateway.edxml.model import EdxmlDocument
from gateway.edxml.reader import read_message
from gateway.edxml.writer import write_document, write_status
from gateway.envelope import codec
from gateway.envelope.model import RECEIPT_NS, Attachment
from gateway.errors import EnvelopeError
from gateway.store.blobs import BlobStore
from gateway.xmlsafe import parse_xml

__all__ = ["command"]

_IN = click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group("edxml")
def command() -> None:
    """edXML (QCVN 102:2016) ⇄ envelopes and receipts."""


@command.command("import")
@click.option("--digest", default=None, help="Status only: SHA-256 of the envelope answered.")
@click.option("-o", "--output", type=_OUT, default=None, help="Write here, not stdout.")
@click.argument("source", metavar="FILE.edxml", type=_IN)
@pass_cli
def import_(cli: CliContext, digest: str | None, output: Path | None, source: Path) -> None:
    """Print the envelope (or receipt) XML that an edXML message maps to."""
    config = cli.config
    message = read_message(
        _read(source), max_bytes=config.hub.max_body_bytes, max_depth=config.hub.max_xml_depth
    )
    if isinstance(message, EdxmlDocument):
        blobs = BlobStore(config.blob_dir)
        element = codec.envelope_to_element(
            edxml_to_envelope(message, lambda n, t, d: _store(blobs, n, t, d))
        )
    else:
        element = codec.receipt_to_element(edxml_status_to_receipt(message, envelope_digest=digest))
    _write(etree.tostring(element, xml_declaration=True, encoding="UTF-8"), output)


@command.command("export")
@click.option("-o", "--output", type=_OUT, default=None, help="Write here, not stdout.")
@click.argument("source", metavar="FILE.xml", type=_IN)
@pass_cli
def export(cli: CliContext, output: Path | None, source: Path) -> None:
    """Print the edXML message for an envelope (or receipt) XML file, signed or not."""
    config = cli.config
    root = parse_xml(
        _read(source), max_bytes=config.hub.max_xml_bytes, max_depth=config.hub.max_xml_depth
    )
    if root.tag == f"{{{RECEIPT_NS}}}Receipt":
        data = write_status(receipt_to_edxml_status(codec.receipt_from_element(root)))
    else:
        blobs = BlobStore(config.blob_dir)
        env = codec.envelope_from_element(root)
        data = write_document(envelope_to_edxml(env, lambda att: _load(blobs, att)))
    _write(data, output)


def _store(blobs: BlobStore, name: str, media_type: str, data: bytes) -> Attachment:
    ref = asyncio.run(blobs.put_bytes(data))
    return Attachment(name=name, media_type=media_type, size=ref.size, sha256=ref.sha256)


def _load(blobs: BlobStore, att: Attachment) -> bytes:
    try:
        return blobs.path(att.sha256).read_bytes()
    except FileNotFoundError as exc:
        raise EnvelopeError(
            f"attachment {att.name!r} ({att.sha256}) is not in the blob store",
            code="envelope.attachment_missing",
        ) from exc


def _read(source: Path) -> bytes:
    if str(source) == "-":
        return sys.stdin.buffer.read()
    return source.read_bytes()


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)
