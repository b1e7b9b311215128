"""Intake: the size gate before any parsing."""

from __future__ import annotations

import pytest

from gateway.errors import LimitError, XmlError
from gateway.pipeline.intake import Intake


def test_intake_passes_bytes_within_the_limit():
    """Bytes under the limit come back unchanged."""
    assert Intake(max_bytes=10)(b"<a/>") == b"<a/>"


def test_intake_refuses_bytes_over_the_limit():
    """One byte over the limit is limit.body_too_large (413)."""
    with pytest.raises(LimitError) as info:
        Intake(max_bytes=4)(b"<ab/>")
    assert info.value.code == "limit.body_too_large"
    assert info.value.http_status == 413


def test_intake_refuses_an_empty_body():
    """Whitespace only is xml.malformed."""
    with pytest.raises(XmlError):
        Intake(max_bytes=100)(b"  \n")
