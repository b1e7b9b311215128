"""Envelope benchmark: XML-DSig sign/verify beside raw RSA-2048, on one core.

Usage: ``python -m bench.envelope [--json] [--runs N] [--seconds S] [--key rsa2048|ecdsa-p256]``

Each measurement runs ``--runs`` times for ``--seconds`` each; the median rate is reported.
The process pins itself to one CPU (the last one) when the OS allows it. Measured:

- ``raw_sign`` / ``raw_verify``: ``cryptography`` RSA-2048 PKCS#1 v1.5 SHA-256 over 32 bytes;
- ``sign_10k``: ``seal_envelope`` of a ~10 KB envelope (model -> XML -> signed bytes);
- ``verify_10k``: ``verify_envelope`` of those bytes (parse, profile, trust, xmlsec, XSD,
  model);
- ``sign_1mib``: SHA-256 of a 1 MiB attachment held in memory, then ``seal_envelope`` of an
  envelope naming it by digest;
- ``xsd_lxml`` / ``xsd_xmlschema``: validating the signed 10 KB envelope with lxml's
  XMLSchema (the hot path) and with xmlschema (the conformance check).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import xmlschema
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from gateway.envelope import schema
from gateway.envelope.model import Attachment, DocumentMeta, Envelope
from gateway.envelope.seal import seal_envelope
from gateway.envelope.verify import verify_envelope
from gateway.pki.ca import build_ca_certificate, build_crl, issue_certificate
from gateway.pki.keyfiles import generate_key
from gateway.pki.trust import TrustStore

TARGETS = {"sign_10k": 1500.0, "verify_10k": 3000.0, "sign_1mib": 800.0}
UNIT = "000.00.00.H01"
MIB = 1024 * 1024


def pin_one_core() -> str:
    """Pin this process to one CPU; return a description of where it runs."""
    if not hasattr(os, "sched_setaffinity"):
        return "unpinned"
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"cpu {cpu}"


def rate(func: Callable[[], object], seconds: float) -> float:
    """Calls per second of ``func`` over about ``seconds`` seconds (after a short warm-up)."""
    for _ in range(3):
        func()
    calls, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            func()
        calls += 10
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def median_rate(func: Callable[[], object], runs: int, seconds: float) -> float:
    """The median of ``runs`` rate measurements."""
    return statistics.median(rate(func, seconds) for _ in range(runs))


def envelope_of(size: int, attachments: tuple[Attachment, ...] = ()) -> Envelope:
    """An envelope whose signed XML is about ``size`` bytes."""
    base = Envelope(
        message_id=uuid.uuid4(),
        sender=UNIT,
        recipients=("000.00.11.H53", "000.00.12.H53"),
        created=datetime.now(UTC),
        document=DocumentMeta(
            subject="Về việc triển khai liên thông văn bản điện tử",
            number="12",
            notation="HND-VP",
            doc_type="Công văn",
            issued_on=date.today(),
            signer_name="Nguyễn Văn A",
        ),
        attachments=attachments,
    )
    filler = max(size - 3300, 0)  # the rest of a signed envelope is ~3.3 KB
    document = dataclasses.replace(base.document, content="x" * filler or None)
    return dataclasses.replace(base, document=document)


def setup(key_type: str) -> tuple[Any, Any, TrustStore]:
    """A throw-away CA, a unit key and certificate, and the trust store (CA + CRL)."""
    ca_key = generate_key("rsa2048")
    ca_cert = build_ca_certificate(ca_key, UNIT, days=30)
    key = generate_key(key_type)
    cert = issue_certificate(ca_key, ca_cert, key.public_key(), UNIT, days=30)
    crl = build_crl(ca_key, ca_cert, [], number=1)
    return key, cert, TrustStore.of([ca_cert], [crl])


def measure(runs: int, seconds: float, key_type: str) -> dict[str, Any]:
    """Run every measurement; return the results as one JSON-able dict."""
    where = pin_one_core()
    key, cert, trust = setup(key_type)
    raw_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    message = os.urandom(32)
    raw_sig = raw_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    raw_public = raw_key.public_key()

    env = envelope_of(10 * 1024)
    signed = seal_envelope(env, key, cert)
    verify_envelope(signed, trust)  # sanity: it verifies
    blob = os.urandom(MIB)

    def sign_1mib() -> bytes:
        sha = hashlib.sha256(blob).hexdigest()
        attachment = Attachment("bao-cao.pdf", "application/pdf", len(blob), sha)
        return seal_envelope(dataclasses.replace(env, attachments=(attachment,)), key, cert)

    xsd = xmlschema.XMLSchema(schema.schema_bytes(schema.ENVELOPE_XSD).decode())
    tree = etree.fromstring(signed)
    rates = {
        "raw_sign": median_rate(
            lambda: raw_key.sign(message, padding.PKCS1v15(), hashes.SHA256()), runs, seconds
        ),
        "raw_verify": median_rate(
            lambda: raw_public.verify(raw_sig, message, padding.PKCS1v15(), hashes.SHA256()),
            runs,
            seconds,
        ),
        "sign_10k": median_rate(lambda: seal_envelope(env, key, cert), runs, seconds),
        "verify_10k": median_rate(lambda: verify_envelope(signed, trust), runs, seconds),
        "sign_1mib": median_rate(sign_1mib, runs, seconds),
        "xsd_lxml": median_rate(lambda: schema.validate(tree), runs, seconds),
        "xsd_xmlschema": median_rate(lambda: xsd.is_valid(tree), runs, max(seconds / 2, 0.2)),
    }
    return {
        "key": key_type,
        "envelope_bytes": len(signed),
        "runs": runs,
        "seconds": seconds,
        "where": where,
        "python": sys.version.split()[0],
        "rates": {name: round(value, 1) for name, value in rates.items()},
        "ratios": {
            "sign_10k/raw_sign": round(rates["sign_10k"] / rates["raw_sign"], 3),
            "verify_10k/raw_verify": round(rates["verify_10k"] / rates["raw_verify"], 3),
            "sign_1mib/raw_sign": round(rates["sign_1mib"] / rates["raw_sign"], 3),
            "xsd_lxml/xsd_xmlschema": round(rates["xsd_lxml"] / rates["xsd_xmlschema"], 1),
        },
        "targets": {
            name: {"target": target, "value": round(rates[name], 1), "met": rates[name] >= target}
            for name, target in TARGETS.items()
        },
    }


def table(result: dict[str, Any]) -> str:
    """The result as a plain-text table."""
    lines = [
        f"envelope benchmark: {result['key']}, {result['envelope_bytes']} B signed envelope, "
        f"median of {result['runs']} x {result['seconds']} s, {result['where']}",
        f"{'measurement':<16}{'ops/s':>12}{'target':>10}  met",
    ]
    for name, value in result["rates"].items():
        target = result["targets"].get(name)
        goal = f"{target['target']:>10,.0f}  {'yes' if target['met'] else 'NO'}" if target else ""
        lines.append(f"{name:<16}{value:>12,.0f}{goal}")
    lines.extend(f"ratio {name:<26}{value:>8}" for name, value in result["ratios"].items())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.envelope", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--key", default="rsa2048", choices=["rsa2048", "rsa3072", "ecdsa-p256"])
    args = parser.parse_args(argv)
    result = measure(args.runs, args.seconds, args.key)
    print(json.dumps(result) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
