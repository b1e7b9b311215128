"""Metadata JSON + stored files → the envelope the hub seals for a unit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gateway.envelope.model import Kind
from gateway.errors import EnvelopeError, RequestError
from gateway.pipeline.document import UploadedFile, build_envelope

SENDER = "000.00.01.H01"
FILE = UploadedFile("báo cáo.pdf", "application/pdf", "ab" * 32, 12)


def build(metadata, files=(FILE,), groups=frozenset({"XA.01.H01"})):
    return build_envelope(SENDER, metadata, list(files), is_group=groups.__contains__)


def test_units_and_groups_are_split_and_fields_mapped():
    """'to' is split into units and groups; dates, signer and files are mapped."""
    env = build(
        {
            "to": ["000.00.02.H01", "XA.01.H01", "000.00.02.H01"],
            "subject": "  Về việc họp  ",
            "issued_on": "2026-11-20",
            "signer": "Nguyễn Văn A",
            "number": 12,
        }
    )
    assert env.sender == SENDER
    assert env.recipients == ("000.00.02.H01",)
    assert env.groups == ("XA.01.H01",)
    assert env.document.subject == "Về việc họp"
    assert env.document.issued_on == date(2026, 11, 20)
    assert env.document.signer_name == "Nguyễn Văn A"
    assert env.document.number == "12"
    assert env.kind is Kind.NEW
    assert [a.name for a in env.attachments] == ["báo cáo.pdf"]


def test_expires_in_sets_an_expiry_after_created():
    """'expires_in' seconds become the envelope's expires time."""
    env = build({"to": ["000.00.02.H01"], "subject": "s", "expires_in": 60})
    assert env.expires is not None
    assert 59 <= (env.expires - env.created).total_seconds() <= 61
    assert env.created <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"subject": "s"}, "request.missing_field"),
        ({"to": [], "subject": "s"}, "request.missing_field"),
        ({"to": ["000.00.02.H01"]}, "request.missing_field"),
        ({"to": ["bad code#"], "subject": "s"}, "request.invalid"),
        ({"to": "000.00.02.H01", "subject": "s", "kind": "explode"}, "request.invalid"),
        ({"to": ["000.00.02.H01"], "subject": "s", "kind": "revoke"}, "request.missing_field"),
        ({"to": ["000.00.02.H01"], "subject": "s", "issued_on": "20/11/2026"}, "request.invalid"),
        ({"to": ["000.00.02.H01"], "subject": "s", "surprise": 1}, "request.invalid"),
        ({"to": ["000.00.02.H01"], "subject": ["s"]}, "request.invalid"),
        ({"to": ["000.00.02.H01"], "subject": "s", "expires_in": -1}, "request.invalid"),
    ],
)
def test_bad_metadata_is_a_request_error(metadata, code):
    """Missing or malformed fields are refused with a request.* code."""
    with pytest.raises(RequestError) as info:
        build(metadata)
    assert info.value.code == code


def test_two_files_with_one_name_are_refused():
    """File names must be distinct within a message (attachment.duplicate_name)."""
    with pytest.raises(EnvelopeError) as caught:
        build({"to": ["000.00.02.H01"], "subject": "s"}, files=(FILE, FILE))
    assert caught.value.code == "attachment.duplicate_name"


def test_revoke_refers_to_a_message():
    """kind=revoke with refers_to is accepted and carried."""
    ref = "0f8fad5b-d9cb-469f-a165-70867728950e"
    env = build({"to": ["000.00.02.H01"], "subject": "s", "kind": "revoke", "refers_to": ref})
    assert env.kind is Kind.REVOKE
    assert str(env.refers_to) == ref
