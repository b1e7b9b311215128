"""The CLI explains itself: every option has help, bad values name the valid ones."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.cli.fetch import safe_file_name
from gateway.errors import EnvelopeError, GatewayError


def _commands(
    command: click.Command, ctx: click.Context, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} {name} does not load"
            yield from _commands(sub, ctx, (*path, name))


def test_every_option_of_every_command_has_help() -> None:
    """Walk the whole command tree: an option without help text fails, naming it."""
    with click.Context(cli) as ctx:
        tree = list(_commands(cli, ctx, ("lienthong",)))
    missing = [
        f"{' '.join(path)} {'/'.join(param.opts)}"
        for path, command in tree
        for param in command.params
        if isinstance(param, click.Option) and not (param.help or "").strip()
    ]
    assert missing == []
    names = {" ".join(path) for path, _ in tree}
    for expected in ("lienthong fetch", "lienthong groups add", "lienthong units remove"):
        assert expected in names
    assert all((command.help or "").strip() for _, command in tree), "a command without help"


@pytest.mark.parametrize(
    ("args", "valid"),
    [
        (["send", "--to", "X", "--subject", "S", "--kind", "bogus"], "'new', 'revoke'"),
        (["units", "list", "--not-seen-days", "-1"], "0<=x<=36500"),
        (["serve", "--log-level", "LOUD"], "'debug', 'info'"),
        (["inbox", "--limit", "0"], "1<=x<=500"),
    ],
)
def test_bad_option_values_name_the_valid_ones(args: list[str], valid: str) -> None:
    """click refuses a bad value with exit 2 and says which values are valid."""
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert valid in result.output


def test_serve_listen_must_be_host_port() -> None:
    """serve --listen without a port is config.invalid before anything starts."""
    result = CliRunner().invoke(cli, ["serve", "--listen", "0.0.0.0"])
    assert isinstance(result.exception, GatewayError)
    assert result.exception.code == "config.invalid"


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "a/b.pdf", "a\\b.pdf", "..", "", "x\x00y", "x\ny"]
)
def test_fetch_refuses_names_that_are_not_plain_file_names(name: str) -> None:
    """A sender's attachment name that is a path or holds control characters is refused."""
    with pytest.raises(EnvelopeError) as caught:
        safe_file_name(name)
    assert caught.value.code == "envelope.invalid"


def test_fetch_keeps_vietnamese_file_names() -> None:
    """Ordinary names, Vietnamese and spaces included, are written as they are."""
    assert safe_file_name("Kế hoạch 2026 (bản cuối).pdf") == "Kế hoạch 2026 (bản cuối).pdf"
