"""The error hierarchy: stable codes, JSON bodies, every raised code registered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.errors import (
    ERROR_CODES,
    AdapterUnavailable,
    BusUnavailable,
    ConflictError,
    CsrfError,
    DirectoryError,
    DocumentRevokedError,
    DuplicateIdError,
    ForbiddenError,
    GatewayError,
    IllegalTransitionError,
    MalformedXmlError,
    NoSigningKeyError,
    PkiError,
    ReceiptError,
    Recoverable,
    UnitExistsError,
    UnroutableError,
    XmlError,
    translated,
)

ROOT = Path(__file__).resolve().parents[2]


def test_specific_code_and_json() -> None:
    """A raised error keeps its specific code and renders the API error body."""
    err = XmlError("DOCTYPE is not allowed", code="xml.dtd", message_id="m1")
    assert err.http_status == 400
    assert err.to_json() == {
        "error": {"code": "xml.dtd", "message": "DOCTYPE is not allowed", "message_id": "m1"}
    }
    assert str(err) == "xml.dtd: DOCTYPE is not allowed"


def test_recoverable_branch() -> None:
    """Dependency outages are Recoverable (retry code catches one type) and answer 503."""
    err = BusUnavailable("no confirm")
    assert isinstance(err, Recoverable) and isinstance(err, GatewayError)
    assert err.http_status == 503 and err.code == "bus.unavailable"


def test_every_raised_code_is_registered() -> None:
    """Each literal code=... used in gateway/ and adapters/ is documented in ERROR_CODES."""
    pattern = re.compile(r'code="([a-z_]+(?:\.[a-z_]+)+)"')
    used: set[str] = set()
    for folder in ("gateway", "adapters"):
        for path in (ROOT / folder).rglob("*.py"):
            used.update(pattern.findall(path.read_text(encoding="utf-8")))
    missing = sorted(used - set(ERROR_CODES))
    assert not missing, f"codes raised but not in ERROR_CODES: {missing}"


def test_acted_on_codes_are_types() -> None:
    """Each code a caller acts on has a subclass carrying it, under its family's parent."""
    cases = [
        (UnroutableError, BusUnavailable, "bus.unroutable", 503),
        (DuplicateIdError, ConflictError, "message.duplicate_id", 409),
        (NoSigningKeyError, PkiError, "pki.no_signing_key", 400),
        (IllegalTransitionError, ReceiptError, "receipt.illegal_transition", 409),
        (DocumentRevokedError, ReceiptError, "receipt.document_revoked", 409),
        (UnitExistsError, DirectoryError, "directory.unit_exists", 422),
        (CsrfError, ForbiddenError, "auth.csrf", 403),
        (MalformedXmlError, XmlError, "xml.malformed", 400),
    ]
    for sub, parent, code, status in cases:
        err = sub("x")
        assert isinstance(err, parent) and err.code == code and err.http_status == status
        assert code in ERROR_CODES


def test_translated_maps_foreign_errors_only() -> None:
    """A listed foreign error becomes ours (chained); ours and unlisted ones pass through."""
    foreign = {(ConnectionError, TimeoutError): AdapterUnavailable}
    with pytest.raises(AdapterUnavailable) as caught, translated(foreign, "peer"):
        raise TimeoutError("slow")
    assert str(caught.value) == "adapter.unavailable: peer: TimeoutError('slow')"
    assert isinstance(caught.value.__cause__, TimeoutError)
    with pytest.raises(UnroutableError), translated({Exception: AdapterUnavailable}, "peer"):
        raise UnroutableError("no mailbox")
    with pytest.raises(KeyError), translated({OSError: AdapterUnavailable}, "peer"):
        raise KeyError("k")
