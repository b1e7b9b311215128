"""``lienthong evidence export|verify``: one file that proves a message's journey.

``export MESSAGE_ID -o FILE.zip`` fetches the bundle from the hub
(``GET /api/v1/messages/{id}/evidence``, with ``LIENTHONG_URL``/``LIENTHONG_TOKEN`` or
``[client]``); ``verify FILE.zip`` checks it without the hub: exit 0 and what it proves,
or exit 1 with the first failure's code (see ``docs/evidence.md``). Its PDFs are checked
in a worker process within ``--pdf-cpu-seconds`` and ``--pdf-memory-mib`` (the defaults of
``[pdf] check_cpu_seconds`` and ``check_memory_mib``; no config is read).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gateway.cli.client import HubClient
from gateway.cli.common import CliContext, pass_cli, run
from gateway.config import PdfConfig

__all__ = ["command"]


@click.group("evidence")
def command() -> None:
    """Evidence bundles: export from the hub, verify offline."""


@command.command("export")
@click.argument("message_id")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the evidence bundle (a .zip file).",
)
@pass_cli
def export(cli: CliContext, message_id: str, output: Path) -> None:
    """Save the evidence bundle of MESSAGE_ID to OUTPUT (a zip)."""
    client = HubClient.from_config(cli.config)
    digest, size = run(client.download(f"/api/v1/messages/{message_id}/evidence", output))
    click.echo(f"{output}: {size} bytes, SHA-256 {digest}")


@command.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The hub CA certificate to trust (default: the bundle's own).")  # fmt: skip
@click.option("--tsa-trust", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of TSA CA certificates (default: the bundle's).")  # fmt: skip
@click.option("--pdf-trust", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of PDF signing CA certificates (default: the bundle's).")  # fmt: skip
@click.option("--pdf-cpu-seconds", type=click.FloatRange(0, 3600, min_open=True),
              default=PdfConfig.check_cpu_seconds, show_default=True,
              help="The CPU one PDF's check may use.")  # fmt: skip
@click.option("--pdf-memory-mib", type=click.IntRange(256, 1 << 20),
              default=PdfConfig.check_memory_mib, show_default=True,
              help="The memory (address space) of the process checking one PDF.")  # fmt: skip
def verify(
    bundle: Path,
    ca: Path | None,
    tsa_trust: Path | None,
    pdf_trust: Path | None,
    pdf_cpu_seconds: float,
    pdf_memory_mib: int,
) -> None:
    """Check BUNDLE offline: exit 0 and what it proves, or 1 and the first failure."""
    from gateway.evidence.verify import Failure, PdfLimits, verify_bundle
    from gateway.logging import configure_logging

    # the outcome is the report or the one failure line; a worker's warnings would add to it
    configure_logging(level="ERROR", json=False)
    limits = PdfLimits(cpu_seconds=pdf_cpu_seconds, memory_mib=pdf_memory_mib)
    try:
        report = verify_bundle(
            bundle, ca=ca, tsa_trust=tsa_trust, pdf_trust=pdf_trust, pdf_limits=limits
        )
    except Failure as failure:
        click.echo(str(failure), err=True)
        sys.exit(1)
    click.echo(f"ok: evidence of message {report.message_id}")
    for line in report.proves:
        click.echo(f"  {line}")
    for note in report.notes:
        click.echo(f"  note: {note}")
