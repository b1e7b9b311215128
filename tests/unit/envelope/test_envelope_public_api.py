"""The package's public surface: every name in __all__ exists and is documented."""

from __future__ import annotations

import gateway.envelope as envelope


def test_all_names_exist_and_have_docstrings() -> None:
    """Each exported name resolves and (functions, classes) carries a docstring."""
    assert envelope.__all__ == sorted(envelope.__all__, key=lambda n: (not n.isupper(), n))
    for name in envelope.__all__:
        value = getattr(envelope, name)
        if callable(value):
            assert value.__doc__, name


def test_seam_names_from_architecture() -> None:
    """The names other parts code against (docs/architecture.md) are exported."""
    for name in (
        "seal_envelope",
        "seal_receipt",
        "verify_envelope",
        "verify_receipt",
        "check_attachments",
        "envelope_to_element",
        "receipt_from_element",
    ):
        assert name in envelope.__all__
