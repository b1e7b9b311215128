"""``lienthong keys``: init-ca, import, issue, CSR, revoke, list, export from the CLI."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.cli import cli
from gateway.errors import GatewayError

UNIT = "000.00.00.H01"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home whose directory holds UNIT (keys are issued only to known units)."""
    home = tmp_path / "home"
    added = lienthong(home, "units", "add", UNIT, "--name", "Văn phòng tỉnh")
    assert added.exit_code == 0, added.output
    return home


def lienthong(home: Path, *args: str, passphrase: str | None = "pp") -> Result:
    """Run ``lienthong --home HOME ARGS`` in process; errors stay in ``result.exception``."""
    env = {"LIENTHONG_KEY_PASSPHRASE": passphrase, "LIENTHONG_CONFIG": None}
    return CliRunner().invoke(cli, ["--home", str(home), *args], env=env)


def code_of(result: Result) -> str:
    """The stable code of the typed error a command ended with."""
    assert isinstance(result.exception, GatewayError), result.output
    return result.exception.code


def test_init_ca_issue_and_export(home: Path) -> None:
    """init-ca then issue prints a certificate for the unit; export prints the same PEM."""
    result = lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    assert result.exit_code == 0, result.output
    assert "created hub CA" in result.stdout
    issued = lienthong(home, "keys", "issue", UNIT, "--key-type", "ecdsa-p256")
    assert issued.exit_code == 0, issued.output
    cert = x509.load_pem_x509_certificate(issued.stdout.encode())
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == UNIT
    assert f"issued serial {cert.serial_number:x}" in issued.stderr
    assert lienthong(home, "keys", "export", UNIT).stdout == issued.stdout
    ca_pem = lienthong(home, "keys", "export", "ca").stdout.encode()
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca_pem))
    key_dir = home / "keys"
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700


def test_init_ca_twice_keeps_the_ca(home: Path) -> None:
    """A second init-ca (the README's, after init) keeps the CA and says so."""
    first = lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    ca_pem = (home / "keys" / "ca.pem").read_bytes()
    again = lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    assert again.exit_code == 0, again.output
    assert "exists" in again.stdout and "(kept)" in again.stdout
    assert (home / "keys" / "ca.pem").read_bytes() == ca_pem and first.exit_code == 0


def test_issue_refuses_an_unknown_unit(home: Path) -> None:
    """keys issue for a code the directory does not hold fails as tokens create does."""
    lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    result = lienthong(home, "keys", "issue", "000.00.99.H01", "--key-type", "ecdsa-p256")
    assert code_of(result) == "directory.unknown_unit"
    assert not (home / "keys" / "000.00.99.H01").exists()


def test_no_passphrase(home: Path) -> None:
    """Without a passphrase init-ca fails with pki.bad_passphrase."""
    result = lienthong(home, "keys", "init-ca", passphrase=None)
    assert code_of(result) == "pki.bad_passphrase"


def test_import_ca(home: Path, tmp_path: Path) -> None:
    """--import CERT KEY adopts an existing CA, with the key's own passphrase file."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Province CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2099, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"theirs"),
        )
    )
    (tmp_path / "pass").write_text("theirs\n")
    args = ["--import", str(tmp_path / "ca.pem"), str(tmp_path / "ca.key")]
    result = lienthong(
        home, "keys", "init-ca", *args, "--import-passphrase-file", str(tmp_path / "pass")
    )
    assert result.exit_code == 0, result.output
    assert "imported hub CA CN=Province CA" in result.stdout
    issued = lienthong(home, "keys", "issue", UNIT, "--key-type", "ecdsa-p256")
    cert = x509.load_pem_x509_certificate(issued.stdout.encode())
    cert.verify_directly_issued_by(ca_cert)


def test_issue_from_csr_file(home: Path, tmp_path: Path) -> None:
    """issue --csr certifies the CSR's key; list shows no local key for it."""
    lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([]))
    (tmp_path / "req.pem").write_bytes(
        csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    )
    result = lienthong(home, "keys", "issue", UNIT, "--csr", str(tmp_path / "req.pem"))
    assert result.exit_code == 0, result.output
    cert = x509.load_pem_x509_certificate(result.stdout.encode())
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()  # type: ignore[union-attr]
    listing = lienthong(home, "keys", "list").stdout
    assert UNIT in listing and "valid" in listing and "local" not in listing
    (tmp_path / "bad.pem").write_bytes(b"-----BEGIN CERTIFICATE REQUEST-----\nAA==\n")
    bad = lienthong(home, "keys", "issue", UNIT, "--csr", str(tmp_path / "bad.pem"))
    assert code_of(bad) == "pki.bad_csr"


def test_revoke_and_list(home: Path) -> None:
    """revoke UNIT revokes each of its certs; list shows them revoked, export refuses."""
    lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    for _ in range(2):
        lienthong(home, "keys", "issue", UNIT, "--key-type", "ecdsa-p256")
    result = lienthong(home, "keys", "revoke", UNIT)
    assert result.exit_code == 0 and "revoked 2 certificate(s)" in result.stdout
    lines = lienthong(home, "keys", "list").stdout.splitlines()
    assert lines[0].split()[:2] == ["UNIT", "SERIAL"]
    assert [line.split()[-2] for line in lines[1:]] == ["revoked", "revoked"]
    assert code_of(lienthong(home, "keys", "export", UNIT)) == "pki.unknown_certificate"


def test_revoke_one_serial(home: Path) -> None:
    """revoke SERIAL revokes just that certificate."""
    lienthong(home, "keys", "init-ca", "--key-type", "ecdsa-p256")
    first = lienthong(home, "keys", "issue", UNIT, "--key-type", "ecdsa-p256").stdout
    lienthong(home, "keys", "issue", UNIT, "--key-type", "ecdsa-p256")
    serial = x509.load_pem_x509_certificate(first.encode()).serial_number
    assert lienthong(home, "keys", "revoke", f"{serial:x}").exit_code == 0
    statuses = sorted(
        line.split()[-2] for line in lienthong(home, "keys", "list").stdout.splitlines()[1:]
    )
    assert statuses == ["revoked", "valid"]
    assert code_of(lienthong(home, "keys", "revoke", "deadbeef")) == "pki.unknown_certificate"
