"""The payloads of the peer wake-up notifications."""

from __future__ import annotations

from gateway.pipeline.peer_wakeups import _PAYLOAD_BYTES, _payloads


def test_every_unit_is_announced_in_payloads_under_the_limit() -> None:
    """Thousands of units fit in several payloads, each under PostgreSQL's limit, each
    carrying the tag, every unit exactly once."""
    units = [f"{i:03d}.{i % 97:02d}.{i % 31:02d}.H01" for i in range(2000)]
    payloads = _payloads("abc123", units)
    assert len(payloads) > 1
    assert all(len(p.encode()) < _PAYLOAD_BYTES for p in payloads)
    announced = []
    for payload in payloads:
        tag, _, listed = payload.partition("|")
        assert tag == "abc123"
        announced.extend(listed.split(","))
    assert announced == units


def test_one_unit_is_one_payload() -> None:
    """A single unit makes one short payload."""
    assert _payloads("t", ["000.00.01.H01"]) == ["t|000.00.01.H01"]
