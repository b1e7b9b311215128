"""The error hierarchy: stable codes, JSON bodies, every raised code registered."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.errors import ERROR_CODES, BusUnavailable, GatewayError, Recoverable, XmlError

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
