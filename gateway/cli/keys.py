"""``lienthong keys``: the hub CA, unit certificates, revocation, export.

``issue`` and ``export`` print the certificate PEM alone on stdout (so it can be piped);
notes go to stderr.
"""

from __future__ import annotations

from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization

from gateway.cli.common import CliContext, pass_cli, run
from gateway.cli.db import open_database
from gateway.directory import Directory
from gateway.pki.keyfiles import KEY_TYPES
from gateway.pki.keystore import CertInfo, KeyStore

__all__ = ["command"]

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("keys")
def command() -> None:
    """Hub CA, unit certificates and keys, revocation."""


@command.command("init-ca")
@click.option(
    "--import",
    "import_files",
    nargs=2,
    type=_FILE,
    default=None,
    metavar="CERT KEY",
    help="Adopt an existing CA certificate and key (PEM).",
)
@click.option(
    "--import-passphrase-file",
    type=_FILE,
    default=None,
    help="Passphrase of the imported key, if it is encrypted.",
)
@click.option(
    "--key-type",
    type=click.Choice(KEY_TYPES),
    default="rsa3072",
    show_default=True,
    help="The CA key's type.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=3650,
    show_default=True,
    help="Days the CA certificate is valid.",
)
@pass_cli
def init_ca(
    cli: CliContext,
    import_files: tuple[Path, Path] | None,
    import_passphrase_file: Path | None,
    key_type: str,
    days: int,
) -> None:
    """Create the hub CA (or import one with --import CERT KEY).

    When the home already has a CA (``lienthong init`` creates one) it is kept and named;
    importing over an existing CA is refused (pki.ca_exists)."""
    store = KeyStore(cli.config)
    if not import_files and store.has_ca():
        cert = store.ca_certificate()
        click.echo(f"hub CA {cert.subject.rfc4514_string()} exists in {store.ca_cert_path} (kept)")
        return
    if import_files:
        cert_path, key_path = import_files
        passphrase = None
        if import_passphrase_file is not None:
            passphrase = import_passphrase_file.read_bytes().strip()
        cert = store.import_ca(cert_path.read_bytes(), key_path.read_bytes(), passphrase)
        verb = "imported"
    else:
        cert = store.init_ca(key_type=key_type, days=days)
        verb = "created"
    click.echo(f"{verb} hub CA {cert.subject.rfc4514_string()} in {store.ca_cert_path}")


@command.command("issue")
@click.argument("unit")
@click.option(
    "--csr",
    "csr_file",
    type=_FILE,
    default=None,
    help="Certify this CSR's key (PEM) instead of generating a key here.",
)
@click.option(
    "--key-type",
    type=click.Choice(KEY_TYPES),
    default=None,
    help="Key type to generate (default: [keys] key_type).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=730,
    show_default=True,
    help="Days the unit's certificate is valid.",
)
@pass_cli
def issue(
    cli: CliContext, unit: str, csr_file: Path | None, key_type: str | None, days: int
) -> None:
    """Issue a certificate to UNIT; print it (PEM) on stdout.

    This is also how a revoked unit is re-enabled: until it holds a valid certificate
    again, the hub issues it no key on its own (``pki.unit_revoked``).
    """
    run(_known_unit(cli, unit))
    store = KeyStore(cli.config)
    csr_pem = csr_file.read_bytes() if csr_file is not None else None
    cert = store.issue(
        unit, csr_pem=csr_pem, key_type=key_type or cli.config.keys.key_type, days=days
    )
    click.echo(f"issued serial {cert.serial_number:x} to {unit}", err=True)
    click.echo(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"), nl=False)


async def _known_unit(cli: CliContext, unit: str) -> None:
    """``directory.unknown_unit`` unless UNIT is in the directory (as tokens create does)."""
    async with open_database(cli.config) as db:
        await Directory(db).get(unit)


@command.command("revoke")
@click.argument("unit_or_serial")
@pass_cli
def revoke(cli: CliContext, unit_or_serial: str) -> None:
    """Revoke every certificate of a unit, or one certificate by serial (hex or decimal).

    Every hub process sharing this home refuses the certificates from its next
    verification on; a unit left without a valid certificate gets no new key from the hub
    until ``lienthong keys issue UNIT``.
    """
    serials = KeyStore(cli.config).revoke(unit_or_serial)
    if not serials:
        click.echo("nothing new to revoke (already revoked); CRL re-signed")
        return
    click.echo(f"revoked {len(serials)} certificate(s): " + ", ".join(f"{s:x}" for s in serials))
    click.echo(
        "in force now in every hub process on this home; a unit left without a valid "
        "certificate gets no new key until `lienthong keys issue UNIT`",
        err=True,
    )


@command.command("list")
@pass_cli
def list_(cli: CliContext) -> None:
    """List unit certificates: unit, serial, validity, status, local key."""
    infos = KeyStore(cli.config).list()
    if not infos:
        click.echo("no certificates")
        return
    click.echo(_table(infos))


@command.command("export")
@click.argument("name")
@pass_cli
def export(cli: CliContext, name: str) -> None:
    """Print the PEM of the CA ("ca") or of UNIT's newest valid certificate."""
    click.echo(KeyStore(cli.config).export(name), nl=False)


def _table(infos: list[CertInfo]) -> str:
    header = ("UNIT", "SERIAL", "NOT BEFORE", "NOT AFTER", "STATUS", "KEY")
    rows = [header] + [
        (
            i.unit,
            i.serial_hex,
            i.not_before.strftime("%Y-%m-%d %H:%M"),
            i.not_after.strftime("%Y-%m-%d %H:%M"),
            i.status,
            "local" if i.has_local_key else "-",
        )
        for i in infos
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
