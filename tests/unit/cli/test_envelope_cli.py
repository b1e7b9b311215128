"""``lienthong envelope build|sign|verify``: the offline tools, end to end on a tmp home."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from gateway.cli import cli
from gateway.envelope.model import ENVELOPE_NS
from gateway.errors import GatewayError
from gateway.store.blobs import BlobStore

SENDER = "000.00.00.H01"
TO = "000.00.11.H53,000.00.12.H53"
PASSPHRASE = "pp"


def lienthong(home: Path, *args: str) -> Result:
    """Run ``lienthong --home HOME ARGS`` in process; errors stay in ``result.exception``."""
    env = {"LIENTHONG_KEY_PASSPHRASE": PASSPHRASE, "LIENTHONG_CONFIG": None}
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=env)


def code_of(result: Result) -> str:
    """The stable code of the typed error a command ended with."""
    assert isinstance(result.exception, GatewayError), result.output
    return result.exception.code


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with a hub CA and a signing key for the sender."""
    home = tmp_path / "home"
    assert lienthong(home, "units", "add", SENDER, "--name", "Văn phòng tỉnh").exit_code == 0
    assert lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256").exit_code == 0
    assert lienthong(home, "keys", "issue", SENDER, "--key-type", "ecdsa-p256").exit_code == 0
    return home


@pytest.fixture
def document(tmp_path: Path) -> Path:
    """A small PDF-named file to attach."""
    path = tmp_path / "cong-van.pdf"
    path.write_bytes(b"%PDF-1.4 official document\n")
    return path


def build(home: Path, document: Path, *extra: str) -> Result:
    """``envelope build`` with the usual options."""
    return lienthong(
        home, "envelope", "build", "--from", SENDER, "--to", TO, "--subject", "Kế hoạch 2026",
        "--number", "12", "--notation", "HND-VP", "--urgency", "khẩn", *extra, str(document),
    )  # fmt: skip


@pytest.fixture
def signed(home: Path, document: Path, tmp_path: Path) -> Path:
    """A signed envelope file (built, then signed by the sender)."""
    unsigned = tmp_path / "unsigned.xml"
    assert build(home, document, "-o", str(unsigned)).exit_code == 0
    out = tmp_path / "signed.xml"
    result = lienthong(home, "envelope", "sign", "--unit", SENDER, str(unsigned), "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_build_writes_manifest_and_blob(home: Path, document: Path) -> None:
    """build prints the envelope; each file is in the blob store under its SHA-256."""
    result = build(home, document)
    assert result.exit_code == 0, result.output
    root = etree.fromstring(result.stdout_bytes)
    ns = {"e": ENVELOPE_NS}
    [att] = root.findall(".//e:Attachment", ns)
    data = document.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    assert att.attrib == {
        "name": "cong-van.pdf", "mediaType": "application/pdf",
        "size": str(len(data)), "sha256": sha,
    }  # fmt: skip
    assert [u.text for u in root.findall(".//e:Recipients/e:Unit", ns)] == TO.split(",")
    assert BlobStore(home / "blobs").path(sha).read_bytes() == data


def test_build_refuses_bad_addresses(home: Path, document: Path) -> None:
    """No recipient, or a unit code with routing wildcards, is a typed error."""
    no_to = lienthong(home, "envelope", "build", "--from", SENDER, "--subject", "x", str(document))
    assert code_of(no_to) == "routing.no_recipients"
    bad = lienthong(home, "envelope", "build", "--from", SENDER, "--to", "000.#", "--subject", "x")
    assert code_of(bad) == "directory.bad_unit_code"


def test_sign_and_verify(home: Path, signed: Path) -> None:
    """A signed envelope verifies: exit 0 with who signed it and the attachment check."""
    result = lienthong(home, "envelope", "verify", str(signed))
    assert result.exit_code == 0, result.output
    assert f"from {SENDER} signed by {SENDER}" in result.stdout
    assert "1 attachment(s) checked" in result.stdout


def test_sign_to_stdout(home: Path, document: Path, tmp_path: Path) -> None:
    """sign without -o prints the signed XML, which carries one ds:Signature."""
    unsigned = tmp_path / "u.xml"
    unsigned.write_bytes(build(home, document).stdout_bytes)
    result = lienthong(home, "envelope", "sign", str(unsigned))
    assert result.exit_code == 0, result.output
    root = etree.fromstring(result.stdout_bytes)
    sigs = root.findall(".//{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert len(sigs) == 1


def test_sign_refuses_other_unit_and_missing_key(
    home: Path, document: Path, tmp_path: Path
) -> None:
    """--unit must be the sender; a sender with no key here is pki.no_signing_key."""
    unsigned = tmp_path / "u.xml"
    unsigned.write_bytes(build(home, document).stdout_bytes)
    other = lienthong(home, "envelope", "sign", "--unit", "000.00.00.H02", str(unsigned))
    assert code_of(other) == "envelope.sender_mismatch"
    lienthong(home, "keys", "revoke", SENDER)
    assert code_of(lienthong(home, "envelope", "sign", str(unsigned))) == "pki.no_signing_key"


def test_tampered_envelope_fails(home: Path, signed: Path, tmp_path: Path) -> None:
    """Changing the subject after signing fails verify with a signature.* code on stderr."""
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(
        signed.read_bytes().replace("Kế hoạch 2026".encode(), "Kế hoạch 2027".encode())
    )
    env = {**os.environ, "LIENTHONG_HOME": str(home), "LIENTHONG_KEY_PASSPHRASE": PASSPHRASE}
    proc = subprocess.run(
        [sys.executable, "-c", "from gateway.cli import main; main()", "envelope", "verify",
         str(tampered)],
        capture_output=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode != 0
    assert proc.stderr.decode().startswith("signature."), proc.stderr
    assert proc.stdout == b""


def test_revoked_signer_fails(home: Path, signed: Path) -> None:
    """After the sender's certificate is revoked, its envelope no longer verifies."""
    lienthong(home, "keys", "revoke", SENDER)
    result = lienthong(home, "envelope", "verify", str(signed))
    assert code_of(result) == "signature.certificate_revoked"


def test_other_hub_does_not_trust(signed: Path, tmp_path: Path) -> None:
    """Another hub's trust store refuses the envelope (its CA is not ours)."""
    other = tmp_path / "other"
    lienthong(other, "keys", "init-ca", "--key-type", "ecdsa-p256")
    result = lienthong(other, "envelope", "verify", "--skip-attachments", str(signed))
    assert code_of(result) == "signature.untrusted_certificate"


def test_attachment_missing_and_mismatch(home: Path, signed: Path, document: Path) -> None:
    """A blob gone is attachment_missing; changed bytes are attachment_mismatch."""
    blob = BlobStore(home / "blobs").path(hashlib.sha256(document.read_bytes()).hexdigest())
    blob.write_bytes(b"%PDF-1.4 forged document!!\n")
    assert code_of(lienthong(home, "envelope", "verify", str(signed))) == (
        "envelope.attachment_mismatch"
    )
    blob.unlink()
    result = lienthong(home, "envelope", "verify", str(signed))
    assert code_of(result) == "envelope.attachment_missing"
    skipped = lienthong(home, "envelope", "verify", "--skip-attachments", str(signed))
    assert skipped.exit_code == 0 and "skipped" in skipped.stdout


def test_verify_away_from_the_hub_with_ca_file(home: Path, signed: Path, tmp_path: Path) -> None:
    """Outside the hub's home, --ca (and --crl) verify; without them it is pki.no_ca."""
    elsewhere = tmp_path / "elsewhere"
    ca = tmp_path / "ca.pem"
    ca.write_bytes(lienthong(home, "keys", "export", "ca").stdout_bytes)
    assert code_of(lienthong(elsewhere, "envelope", "verify", str(signed))) == "pki.no_ca"
    result = lienthong(elsewhere, "envelope", "verify", "--ca", str(ca), str(signed))
    assert result.exit_code == 0, result.output
    assert f"signed by {SENDER}" in result.stdout and "no --crl" in result.stderr
    assert lienthong(home, "keys", "revoke", SENDER).exit_code == 0
    crl = str(home / "keys" / "crl.pem")
    revoked = lienthong(elsewhere, "envelope", "verify", "--ca", str(ca), "--crl", crl, str(signed))
    assert code_of(revoked) == "signature.certificate_revoked"
    alone = lienthong(elsewhere, "envelope", "verify", "--crl", crl, str(signed))
    assert alone.exit_code == 2 and "--crl goes with --ca" in alone.output
    other = tmp_path / "other"
    lienthong(other, "keys", "init-ca", "--key-type", "ecdsa-p256")
    stranger = lienthong(
        elsewhere, "envelope", "verify", "--ca", str(other / "keys" / "ca.pem"), str(signed)
    )
    assert code_of(stranger) == "signature.untrusted_certificate"


def test_build_writes_text_and_file_names_nfc(home: Path, tmp_path: Path) -> None:
    """A subject, signer and file name given decomposed (NFD) are written NFC."""
    import unicodedata

    path = tmp_path / unicodedata.normalize("NFD", "tờ trình.pdf")
    path.write_bytes(b"%PDF-1.4 x\n")
    nfd_subject = unicodedata.normalize("NFD", "Tờ trình số 5")
    result = lienthong(
        home, "envelope", "build", "--from", SENDER, "--to", TO, "--subject", nfd_subject,
        "--signer", unicodedata.normalize("NFD", "Nguyễn Văn Ấn"), str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode()
    assert "Tờ trình số 5" in text and "Nguyễn Văn Ấn" in text and 'name="tờ trình.pdf"' in text
    assert nfd_subject not in text
