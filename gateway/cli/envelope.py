"""``lienthong envelope``: build, sign and verify envelopes offline.

``build`` copies each file into the blob store (``HOME/blobs``, by SHA-256) and writes the
unsigned envelope naming them; ``sign`` seals it with a unit's key from the key store;
``verify`` checks signature, trust, revocation and (when the blob store is there) the
attachments. ``build`` and ``sign`` print XML on stdout unless ``-o``; ``verify`` exits 0
with a summary, or non-zero with ``CODE: message`` on stderr.
"""

from __future__ import annotations

import asyncio
import mimetypes
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from cryptography import x509
from lxml import etree

from gateway.cli.common import CliContext, pass_cli, run
from gateway.config import Config
from gateway.envelope import codec, seal
from gateway.envelope import verify as verifier
from gateway.envelope.attachments import check_attachments
from gateway.envelope.model import Attachment, DocumentMeta, Envelope, Kind, check_unit_code
from gateway.errors import EnvelopeError, NotFoundError, PkiError
from gateway.pki.keystore import KeyStore
from gateway.pki.trust import TrustStore
from gateway.store.blobs import CHUNK, BlobStore, sha256_of_file
from gateway.text import nfc, nfc_opt
from gateway.xmlsafe import parse_xml

__all__ = ["BlobFiles", "build_envelope", "command", "envelope_bytes", "store_attachment"]

_IN = click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("envelope")
def command() -> None:
    """Offline envelope tools: build, sign, verify."""


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--to A,B --to C`` → ``("A", "B", "C")``, order kept, duplicates dropped."""
    out: list[str] = []
    for value in values:
        out.extend(code.strip() for code in value.split(",") if code.strip())
    return tuple(dict.fromkeys(out))


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@command.command("build")
@click.option("--from", "sender", required=True, help="Sender unit code.")
@click.option("--to", "to", multiple=True, help="Recipient unit codes (comma-separated).")
@click.option("--group", "groups", multiple=True, help="Recipient groups (comma-separated).")
@click.option("--subject", required=True, help="Subject (trích yếu).")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in Kind]),
    default="new",
    help="What the document does; revoke/update/replace need --refers-to.",
)
@click.option("--refers-to", type=click.UUID, default=None, help="Message this one revokes…")
@click.option("--number", default=None, help="Document number (số).")
@click.option("--notation", default=None, help='Notation (ký hiệu), e.g. "HND-VP".')
@click.option("--doc-type", default=None, help="Document type (loại văn bản).")
@click.option(
    "--issued-on",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Issuing date (ngày ban hành), YYYY-MM-DD.",
)
@click.option("--issued-place", default=None, help="Place of issue (nơi ban hành).")
@click.option("--signer", "signer_name", default=None, help="Name of the person who signed.")
@click.option("--signer-position", default=None, help="The signer's position (chức vụ).")
@click.option("--urgency", default=None, help="Độ khẩn.")
@click.option("--confidentiality", default=None, help="Độ mật.")
@click.option(
    "--due-date",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Due date (hạn xử lý), YYYY-MM-DD.",
)
@click.option("--message-id", type=click.UUID, default=None, help="Default: a new UUID.")
@click.option("-o", "--output", type=_OUT, default=None, help="Write here, not stdout.")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_cli
def build(cli: CliContext, /, files: tuple[Path, ...], output: Path | None, **opts: Any) -> None:
    """Build an unsigned envelope for FILE…; the files go into the blob store."""
    texts: dict[str, Any] = {name: nfc_opt(opts.pop(name)) for name in _META_OPTIONS}
    document = DocumentMeta(
        subject=nfc(opts.pop("subject")),
        issued_on=_day(opts.pop("issued_on")),
        due_date=_day(opts.pop("due_date")),
        **texts,
    )
    blobs = BlobStore(cli.config.blob_dir)
    attachments = tuple(run(_store_all(blobs, files)))
    env = build_envelope(document=document, attachments=attachments, **opts)
    _write(envelope_bytes(env), output)


_META_OPTIONS = (
    "number",
    "notation",
    "doc_type",
    "issued_place",
    "signer_name",
    "signer_position",
    "urgency",
    "confidentiality",
)


async def _store_all(blobs: BlobStore, files: tuple[Path, ...]) -> list[Attachment]:
    return [await store_attachment(blobs, path) for path in files]


def build_envelope(
    *,
    sender: str,
    to: tuple[str, ...],
    groups: tuple[str, ...],
    document: DocumentMeta,
    kind: str = "new",
    refers_to: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Envelope:
    """The envelope model from ``build``'s options (unit codes checked)."""
    recipients = tuple(check_unit_code(c) for c in _codes(to))
    group_codes = _codes(groups)
    if not recipients and not group_codes:
        raise EnvelopeError("give at least one --to or --group", code="routing.no_recipients")
    return Envelope(
        message_id=message_id or uuid.uuid4(),
        sender=check_unit_code(sender),
        recipients=recipients,
        groups=group_codes,
        created=datetime.now(UTC).replace(microsecond=0),
        document=document,
        kind=Kind(kind),
        refers_to=refers_to,
        attachments=attachments,
    )


async def store_attachment(blobs: BlobStore, path: Path) -> Attachment:
    """Copy ``path`` into the blob store; the manifest entry naming it."""
    ref = await blobs.put_stream(_read_chunks(path))
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    name = nfc(path.name)
    return Attachment(name=name, media_type=media_type, size=ref.size, sha256=ref.sha256)


async def _read_chunks(path: Path) -> AsyncIterator[bytes]:
    fh = await asyncio.to_thread(path.open, "rb")
    try:
        while block := await asyncio.to_thread(fh.read, CHUNK):
            yield block
    finally:
        await asyncio.to_thread(fh.close)


def envelope_bytes(env: Envelope) -> bytes:
    """The unsigned envelope as UTF-8 XML with a declaration."""
    element = codec.envelope_to_element(env)
    data: bytes = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    return data


@command.command("sign")
@click.option("--unit", default=None, help="Signing unit (default: the envelope's sender).")
@click.option("-o", "--output", type=_OUT, default=None, help="Write here, not stdout.")
@click.argument("source", metavar="IN", type=_IN)
@pass_cli
def sign(cli: CliContext, unit: str | None, output: Path | None, source: Path) -> None:
    """Sign the unsigned envelope IN with the unit's key from the key store."""
    env = codec.envelope_from_element(_parse(cli.config, _read(source)))
    if unit is not None and unit != env.sender:
        raise EnvelopeError(
            f"the envelope's sender is {env.sender}, not {unit}", code="envelope.sender_mismatch"
        )
    key, cert = KeyStore(cli.config).signer(env.sender)
    _write(seal.seal_envelope(env, key, cert), output)


@command.command("verify")
@click.option("--skip-attachments", is_flag=True, help="Do not look for the files.")
@click.option(
    "--ca",
    "ca_file",
    type=_FILE,
    default=None,
    help="Trust this hub CA certificate (PEM, from `lienthong keys export ca`) instead of "
    "the home's: verify away from the hub.",
)
@click.option(
    "--crl",
    "crl_file",
    type=_FILE,
    default=None,
    help="With --ca: the CA's revocation list (PEM, HOME/keys/crl.pem); without it, "
    "revocation is not checked.",
)
@click.argument("source", metavar="IN", type=_IN)
@pass_cli
def verify(
    cli: CliContext,
    skip_attachments: bool,
    ca_file: Path | None,
    crl_file: Path | None,
    source: Path,
) -> None:
    """Verify IN: signature, hub CA, revocation, sender, attachments."""
    if crl_file is not None and ca_file is None:
        raise click.UsageError("--crl goes with --ca")
    config = cli.config
    trust = KeyStore(config).trust_store() if ca_file is None else _trust(ca_file, crl_file)
    result = verifier.verify_envelope(
        _read(source),
        trust,
        max_bytes=config.hub.max_xml_bytes,
        max_depth=config.hub.max_xml_depth,
    )
    env = result.envelope
    if result.signer_unit != env.sender:
        raise EnvelopeError(
            f"signed by {result.signer_unit}, but the sender is {env.sender}",
            code="envelope.sender_mismatch",
            message_id=str(env.message_id),
        )
    checked = not skip_attachments and config.blob_dir.is_dir()
    if checked:
        check_attachments(env, BlobFiles(BlobStore(config.blob_dir)), rehash=True)
    serial = f"{result.certificate.serial_number:x}"
    click.echo(f"OK {env.message_id} from {env.sender} signed by {result.signer_unit} ({serial})")
    click.echo(f"to {', '.join(env.all_addressees())}: {env.document.subject}")
    state = "checked" if checked else "not checked (no blob store)"
    if skip_attachments:
        state = "skipped"
    click.echo(f"{len(env.attachments)} attachment(s) {state}; sha256 {result.digest}")
    if ca_file is not None and crl_file is None:
        click.echo("revocation not checked (no --crl)", err=True)


def _trust(ca_file: Path, crl_file: Path | None) -> TrustStore:
    """A trust store from files: the CA certificate(s) and optionally their CRL."""
    try:
        cas = x509.load_pem_x509_certificates(ca_file.read_bytes())
    except ValueError as exc:
        raise PkiError(f"{ca_file}: not a PEM certificate", code="pki.error") from exc
    if crl_file is None:
        return TrustStore.of(cas)
    try:
        crl = x509.load_pem_x509_crl(crl_file.read_bytes())
    except ValueError as exc:
        raise PkiError(f"{crl_file}: not a PEM CRL", code="pki.error") from exc
    return TrustStore.of(cas, [crl])


class BlobFiles:
    """The blob store seen synchronously, as ``check_attachments`` wants it."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store

    def _path(self, sha256: str) -> Path | None:
        try:
            path = self.store.path(sha256)
        except NotFoundError:  # not even a digest: cannot be stored
            return None
        return path if path.is_file() else None

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self._path(sha256) is not None

    def size(self, sha256: str) -> int | None:
        """The stored size, or None."""
        path = self._path(sha256)
        return path.stat().st_size if path is not None else None

    def digest(self, sha256: str) -> str | None:
        """SHA-256 of the stored bytes, recomputed, or None."""
        path = self._path(sha256)
        return sha256_of_file(path) if path is not None else None


def _parse(config: Config, data: bytes) -> Any:
    return parse_xml(data, max_bytes=config.hub.max_xml_bytes, max_depth=config.hub.max_xml_depth)


def _read(source: Path) -> bytes:
    if str(source) == "-":
        return sys.stdin.buffer.read()
    return source.read_bytes()


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(data if data.endswith(b"\n") else data + b"\n")
        sys.stdout.flush()
        return
    output.write_bytes(data)
    click.echo(f"wrote {output}", err=True)
