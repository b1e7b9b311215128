"""``verify_bundle`` on what is not a good bundle: a typed failure, never a traceback."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from gateway.evidence import Failure, verify_bundle


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


_BAD_PEM = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
_GOOD_HEAD = {"format": "lienthong-evidence/1", "message_id": "x", "made_at": "2026-12-07"}

CASES = {
    "not_a_zip": b"PK\x03\x04 this is not a zip",
    "empty_file": b"",
    "no_manifest": _zip({"envelope.xml": b"<x/>"}),
    "manifest_not_json": _zip({"manifest.json": b"{not json"}),
    "manifest_a_list": _zip({"manifest.json": b"[1, 2]"}),
    "other_format": _zip({"manifest.json": json.dumps({"format": "x/9"}).encode()}),
    "no_signature": _zip({"manifest.json": json.dumps(_GOOD_HEAD).encode()}),
    "signer_not_pem": _zip(
        {
            "manifest.json": json.dumps(_GOOD_HEAD).encode(),
            "manifest.sig": b"sig",
            "certs/hub-signer.pem": _BAD_PEM,
        }
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_bundles_fail_with_a_code(tmp_path: Path, name: str) -> None:
    """Each malformed bundle gives ``evidence.unreadable`` or ``evidence.manifest_signature``."""
    path = tmp_path / "b.zip"
    path.write_bytes(CASES[name])
    with pytest.raises(Failure) as caught:
        verify_bundle(path)
    assert caught.value.code in ("evidence.unreadable", "evidence.manifest_signature")
