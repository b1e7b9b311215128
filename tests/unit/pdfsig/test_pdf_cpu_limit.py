"""The PDF check's CPU limit: a costly but well-formed PDF stops at the limit in a worker
process (verdict ``unchecked``), the next check runs on, and a cheap PDF is unaffected."""

from __future__ import annotations

import time

import pytest
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import serialization

from gateway.pdfsig import sandbox
from gateway.pdfsig.sandbox import UNCHECKED, BoundedChecker
from tests.support.pdfsign import costly_pdf, minimal_pdf, pdf_ca, sign_pdf

CA = pdf_ca()


def _anchors() -> list[ax509.Certificate]:
    return [ax509.Certificate.load(CA.cert.public_bytes(serialization.Encoding.DER))]


def test_costly_pdf_is_unchecked_within_the_limit_and_the_worker_goes_on() -> None:
    """A PDF costing seconds of CPU gets ``unchecked`` after about one second of CPU;
    the same checker then checks a signed PDF as usual."""
    signed = sign_pdf(minimal_pdf(), CA.person(), CA)
    checker = BoundedChecker(_anchors, cpu_seconds=1.0, workers=1)
    assert checker(signed, "warm.pdf").status == "incomplete"  # the worker is started
    costly = costly_pdf(signed)
    started = time.monotonic()
    verdict = checker(costly, "costly.pdf", sha256="ab" * 32)
    elapsed = time.monotonic() - started
    assert verdict.status == UNCHECKED
    assert verdict.problem is not None and "1 s of CPU" in verdict.problem
    assert verdict.sha256 == "ab" * 32 and verdict.signatures == ()
    assert elapsed < 15, elapsed
    again = checker(signed, "again.pdf")
    assert again.status == "incomplete" and again.signatures[0].ok


def test_a_generous_limit_checks_the_costly_pdf_fully() -> None:
    """With room enough the costly PDF is checked: its fields added after signing make it
    invalid (the limit stops only what goes over it)."""
    signed = sign_pdf(minimal_pdf(), CA.person(), CA)
    checker = BoundedChecker(_anchors, cpu_seconds=120.0, workers=1)
    verdict = checker(costly_pdf(signed, fields=2_000), "fields.pdf")
    assert verdict.status == "invalid"
    assert verdict.signatures[0].modified_after_signing


def test_a_worker_past_the_wall_limit_is_killed_and_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the worker does not answer in time (stuck where the CPU timer cannot stop it)
    the hub kills it, the verdict is ``unchecked``, and the next check gets a new worker."""
    signed = sign_pdf(minimal_pdf(), CA.person(), CA)
    checker = BoundedChecker(_anchors, cpu_seconds=60.0, workers=1)
    assert checker(signed, "warm.pdf").status == "incomplete"
    first = checker.pool._idle.queue[-1].process.pid
    monkeypatch.setattr(sandbox, "wall_limit", lambda cpu, fetching: 0.3)
    late = checker(costly_pdf(signed), "costly.pdf")
    assert late.status == UNCHECKED
    assert not checker.pool._idle.queue  # the late worker was not kept
    monkeypatch.undo()
    assert checker(signed, "next.pdf").status == "incomplete"
    assert checker.pool._idle.queue[-1].process.pid != first
