"""Model <-> XML: every field survives the trip; bad values are typed errors."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from lxml import etree
from support.envelopes import sample_envelope, sample_receipt

from gateway.envelope.codec import (
    envelope_from_element,
    envelope_to_element,
    format_datetime,
    parse_datetime,
    receipt_from_element,
    receipt_to_element,
)
from gateway.envelope.model import ENVELOPE_NS, DocumentMeta, Envelope, Kind, Status
from gateway.errors import EnvelopeError

EXT = (
    b'<Extensions xmlns="urn:lienthong:envelope:1">'
    b'<o:OtherInfo xmlns:o="urn:edxml:other"><o:Priority>2</o:Priority></o:OtherInfo>'
    b"</Extensions>"
)


def test_envelope_round_trip_keeps_every_field() -> None:
    """An envelope with every field set decodes back to an equal value."""
    env = dataclasses.replace(
        sample_envelope(), kind=Kind.REPLACE, refers_to=uuid.uuid4(), extensions=EXT
    )
    assert envelope_from_element(envelope_to_element(env)) == env


def test_minimal_envelope_round_trip() -> None:
    """Optional fields left out stay None / empty after the trip."""
    env = Envelope(
        message_id=uuid.uuid4(),
        sender="000.00.00.H01",
        recipients=(),
        groups=("all-districts",),
        created=datetime(2025, 1, 1, tzinfo=UTC),
        document=DocumentMeta(subject="S"),
    )
    back = envelope_from_element(envelope_to_element(env))
    assert back == env
    assert back.document.number is None and back.attachments == ()


def test_receipt_round_trip() -> None:
    """A receipt decodes back to an equal value, status code and name included."""
    receipt = sample_receipt()
    element = receipt_to_element(receipt)
    assert element.findtext("{urn:lienthong:receipt:1}Status/{urn:lienthong:receipt:1}Code") == "03"
    assert receipt_from_element(element) == receipt


def test_root_carries_namespace_and_version() -> None:
    """The root is <Envelope version="1"> in the envelope namespace."""
    root = envelope_to_element(sample_envelope())
    assert root.tag == f"{{{ENVELOPE_NS}}}Envelope" and root.get("version") == "1"


def test_datetimes_are_written_in_utc() -> None:
    """A datetime in +07:00 is written as the same instant in UTC with Z."""
    hanoi = timezone(timedelta(hours=7))
    assert format_datetime(datetime(2025, 1, 1, 7, 0, tzinfo=hanoi)) == "2025-01-01T00:00:00Z"
    assert parse_datetime("2025-01-01T07:00:00+07:00") == datetime(2025, 1, 1, tzinfo=UTC)


def test_naive_datetime_is_refused() -> None:
    """A datetime without a time zone cannot be encoded (envelope.invalid)."""
    env = dataclasses.replace(sample_envelope(), created=datetime(2025, 1, 1))
    with pytest.raises(EnvelopeError) as info:
        envelope_to_element(env)
    assert info.value.code == "envelope.invalid"


def test_extensions_must_be_our_extensions_element() -> None:
    """Extensions that are not one <Extensions> in our namespace are refused."""
    env = dataclasses.replace(sample_envelope(), extensions=b"<Foo/>")
    with pytest.raises(EnvelopeError) as info:
        envelope_to_element(env)
    assert info.value.code == "envelope.invalid"


def test_status_code_and_name_must_agree() -> None:
    """A receipt whose Code says 03 but Name says rejected is envelope.invalid."""
    element = receipt_to_element(sample_receipt())
    name = element.find("{urn:lienthong:receipt:1}Status/{urn:lienthong:receipt:1}Name")
    assert name is not None
    name.text = Status.REJECTED.label
    with pytest.raises(EnvelopeError) as info:
        receipt_from_element(element)
    assert info.value.code == "envelope.invalid"


def test_text_split_by_comment_is_read_whole() -> None:
    """Text interrupted by a comment is read in full, never cut at the comment."""
    root = envelope_to_element(sample_envelope())
    subject = root.find(f"{{{ENVELOPE_NS}}}Document/{{{ENVELOPE_NS}}}Subject")
    assert subject is not None
    subject.text = "Hello"
    comment = etree.Comment("x")
    comment.tail = "World"
    subject.append(comment)
    assert envelope_from_element(root).document.subject == "HelloWorld"
