"""``lienthong fetch MESSAGE_ID [-o DIR]``: download a message's envelope and its files.

The envelope comes first (``envelope.xml``, as the hub stored it); its manifest names every
file with its size and SHA-256. Each file is streamed to ``NAME.part``, checked against the
manifest, and only then renamed to ``NAME``: a file that does not match its digest is
deleted and the command fails with ``envelope.attachment_mismatch``. File names come
from the sender, so a name that is not a plain file name (a path, ``..``, a control
character) is refused rather than written anywhere.
"""

from __future__ import annotations

import unicodedata
import uuid
from pathlib import Path
from urllib.parse import quote

import click

from gateway.cli.client import HubClient
from gateway.cli.common import CliContext, pass_cli, run
from gateway.envelope.codec import envelope_from_element
from gateway.envelope.model import Attachment
from gateway.errors import EnvelopeError
from gateway.xmlsafe import parse_xml

__all__ = ["command", "safe_file_name"]

ENVELOPE_FILE = "envelope.xml"


@click.command("fetch")
@click.argument("message_id")
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory to write into (created if needed; default ./MESSAGE_ID).",
)
@pass_cli
def command(ctx: CliContext, message_id: str, out_dir: Path | None) -> None:
    """Download MESSAGE_ID's envelope and files, each checked against the envelope's
    SHA-256 digests; prints the path of every file written."""
    try:
        message_id = str(uuid.UUID(message_id))
    except ValueError:
        raise click.BadParameter("a message id is a UUID", param_hint="MESSAGE_ID") from None
    target = out_dir if out_dir is not None else Path(message_id)
    for path in run(fetch(HubClient.from_config(ctx.config), message_id, target)):
        click.echo(path)


async def fetch(client: HubClient, message_id: str, target: Path) -> list[Path]:
    """Write the envelope and every file of ``message_id`` into ``target``; their paths."""
    xml = await client.read("GET", f"/api/v1/messages/{message_id}")
    envelope = envelope_from_element(parse_xml(xml))
    names = [safe_file_name(a.name) for a in envelope.attachments]
    written = [_write_envelope(target, xml)]
    for name, attachment in zip(names, envelope.attachments, strict=True):
        written.append(await _download(client, message_id, attachment, target / name))
    return written


def _write_envelope(target: Path, xml: bytes) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    path = target / ENVELOPE_FILE
    path.write_bytes(xml)
    return path


async def _download(client: HubClient, message_id: str, attachment: Attachment, path: Path) -> Path:
    part = path.with_name(path.name + ".part")
    url = f"/api/v1/messages/{message_id}/attachments/{quote(attachment.name, safe='')}"
    try:
        sha256, size = await client.download(url, part)
        if sha256 != attachment.sha256.lower() or size != attachment.size:
            raise EnvelopeError(
                f"{attachment.name}: {size} bytes with SHA-256 {sha256}, the manifest says "
                f"{attachment.size} bytes with {attachment.sha256}",
                code="envelope.attachment_mismatch",
                message_id=message_id,
            )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return part.replace(path)


def safe_file_name(name: str) -> str:
    """``name`` if it is a plain file name to write; ``envelope.invalid`` otherwise."""
    plain = (
        name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and len(name.encode()) <= 255
        and not any(unicodedata.category(c).startswith("C") for c in name)
    )
    if not plain:
        raise EnvelopeError(
            f"attachment name {name[:80]!r} is not a plain file name; nothing was written",
            code="envelope.invalid",
        )
    return name
