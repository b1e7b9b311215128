"""The key store: hub CA, unit certificates, CSRs, rollover, revocation, trust."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gateway.config import Config
from gateway.errors import DirectoryError, PkiError, SignatureError
from gateway.pki import ca
from gateway.pki.keyfiles import read_private_key
from gateway.pki.keystore import KeyStore

UNIT = "000.00.00.H01"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _csr(key: ec.EllipticCurvePrivateKey, cn: str | None = UNIT) -> bytes:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)] if cn else []
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    return csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def test_init_ca_creates_a_root(store: KeyStore, pki_config: Config) -> None:
    """init_ca writes a self-signed CA (keyCertSign, cRLSign) named after the hub."""
    cert = store.ca_certificate()
    assert cert.subject == cert.issuer
    assert cert.subject.rfc4514_string() == f"CN=Lienthong Hub CA {pki_config.hub.unit_code}"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    cert.verify_directly_issued_by(cert)


def test_init_ca_files_are_private(store: KeyStore) -> None:
    """The keys dir is 0700, the CA key encrypted with mode 0600, a CRL exists."""
    assert _mode(store.root) == 0o700
    assert _mode(store.ca_key_path) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in store.ca_key_path.read_bytes()
    assert x509.load_pem_x509_crl(store.crl_path.read_bytes()).next_update_utc is not None


def test_init_ca_twice_is_refused(store: KeyStore) -> None:
    """A second init_ca does not overwrite the CA: pki.ca_exists."""
    before = store.ca_cert_path.read_bytes()
    with pytest.raises(PkiError) as err:
        store.init_ca(key_type="ecdsa-p256")
    assert err.value.code == "pki.ca_exists"
    assert store.ca_cert_path.read_bytes() == before


def test_init_ca_without_passphrase(pki_config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a passphrase nothing is created: pki.bad_passphrase."""
    monkeypatch.delenv("LIENTHONG_KEY_PASSPHRASE")
    ks = KeyStore(pki_config)
    with pytest.raises(PkiError) as err:
        ks.init_ca(key_type="ecdsa-p256")
    assert err.value.code == "pki.bad_passphrase"
    assert not ks.has_ca()


def test_rsa3072_ca_by_default(pki_config: Config) -> None:
    """The default CA key is RSA 3072."""
    cert = KeyStore(pki_config).init_ca()
    assert cert.public_key().key_size == 3072  # type: ignore[union-attr]


def test_import_ca(store: KeyStore, tmp_path: Path) -> None:
    """An existing CA (cert + key with its own passphrase) is adopted and issues certs."""
    other = KeyStore(Config(home=tmp_path / "other"))
    key = read_private_key(store.ca_key_path, b"correct horse battery staple")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"import-pass"),
    )
    cert = other.import_ca(store.ca_cert_path.read_bytes(), key_pem, b"import-pass")
    assert cert == store.ca_certificate()
    issued = other.issue(UNIT, key_type="ecdsa-p256")
    assert store.trust_store().check(issued) == UNIT


def test_import_ca_wrong_passphrase(store: KeyStore, tmp_path: Path) -> None:
    """An imported key that needs another passphrase is pki.bad_passphrase."""
    other = KeyStore(Config(home=tmp_path / "other"))
    with pytest.raises(PkiError) as err:
        other.import_ca(store.ca_cert_path.read_bytes(), store.ca_key_path.read_bytes(), b"nope")
    assert err.value.code == "pki.bad_passphrase"


def test_import_ca_refuses_mismatch_and_non_ca(store: KeyStore, tmp_path: Path) -> None:
    """A key that is not the CA's, or a leaf certificate, is refused and nothing written."""
    other = KeyStore(Config(home=tmp_path / "other"))
    stranger = ec.generate_private_key(ec.SECP256R1())
    pem = stranger.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(PkiError, match="does not match"):
        other.import_ca(store.ca_cert_path.read_bytes(), pem, None)
    leaf = store.issue(UNIT, key_type="ecdsa-p256").public_bytes(serialization.Encoding.PEM)
    with pytest.raises(PkiError, match="not a CA"):
        other.import_ca(leaf, pem, None)
    assert not other.has_ca()


def test_issue_certificate_profile(store: KeyStore) -> None:
    """An issued cert: CN = unit, digitalSignature, clientAuth, SKI/AKI, chained, trusted."""
    cert = store.issue(UNIT, key_type="ecdsa-p256")
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == UNIT
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
    ski = store.ca_certificate().extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.value.digest
    cert.verify_directly_issued_by(store.ca_certificate())
    assert store.trust_store().check(cert) == UNIT


def test_issued_key_file_is_encrypted(store: KeyStore) -> None:
    """The unit's private key is stored encrypted, 0600, next to its certificate."""
    cert = store.issue(UNIT)
    key_path = store.root / "units" / UNIT / f"{cert.serial_number:x}.key"
    assert _mode(key_path) == 0o600
    assert b"ENCRYPTED PRIVATE KEY" in key_path.read_bytes()
    key, signer_cert = store.signer(UNIT)
    assert signer_cert == cert
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()


def test_issue_bad_unit_code(store: KeyStore) -> None:
    """A unit code outside the pattern (routing-key injection) is refused."""
    with pytest.raises(DirectoryError) as err:
        store.issue("000.#.H01", key_type="ecdsa-p256")
    assert err.value.code == "directory.bad_unit_code"


def test_issue_without_ca(pki_config: Config) -> None:
    """Issuing before init_ca is pki.no_ca."""
    with pytest.raises(PkiError) as err:
        KeyStore(pki_config).issue(UNIT)
    assert err.value.code == "pki.no_ca"


def test_issue_from_csr(store: KeyStore) -> None:
    """A CSR's key is certified; the hub keeps no private key for it."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = store.issue(UNIT, csr_pem=_csr(key))
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    [info] = store.list()
    assert info.has_local_key is False and info.status == "valid"
    with pytest.raises(PkiError) as err:
        store.signer(UNIT)
    assert err.value.code == "pki.no_signing_key"


def test_bad_csrs(store: KeyStore) -> None:
    """Garbage, a tampered CSR and a CSR for another unit are pki.bad_csr."""
    key = ec.generate_private_key(ec.SECP256R1())
    good = x509.load_pem_x509_csr(_csr(key))
    der = bytearray(good.public_bytes(serialization.Encoding.DER))
    der[-5] ^= 0x01  # inside the signature
    tampered = x509.load_der_x509_csr(bytes(der)).public_bytes(serialization.Encoding.PEM)
    for pem in (b"not a csr", tampered, _csr(key, cn="000.00.00.H02")):
        with pytest.raises(PkiError) as err:
            store.issue(UNIT, csr_pem=pem)
        assert err.value.code == "pki.bad_csr"
    assert store.list() == []


def test_rollover_keeps_two_valid(store: KeyStore) -> None:
    """Issuing again keeps the old cert valid; the newest signs and is exported."""
    old = store.issue(UNIT, key_type="ecdsa-p256")
    new = store.issue(UNIT, key_type="ecdsa-p256")
    assert [i.status for i in store.list()] == ["valid", "valid"]
    assert store.signer(UNIT)[1] == new
    assert store.export(UNIT) == new.public_bytes(serialization.Encoding.PEM).decode()
    assert store.certificates(UNIT) == [old, new]
    assert store.trust_store().check(old) == UNIT


def test_revoke_one_serial_falls_back(store: KeyStore) -> None:
    """Revoking the newest serial (hex) makes the older cert sign again."""
    old = store.issue(UNIT, key_type="ecdsa-p256")
    new = store.issue(UNIT, key_type="ecdsa-p256")
    assert store.revoke(f"{new.serial_number:x}") == [new.serial_number]
    assert store.signer(UNIT)[1] == old
    with pytest.raises(SignatureError) as err:
        store.trust_store().check(new)
    assert err.value.code == "signature.certificate_revoked"


def test_revoke_by_decimal_serial(store: KeyStore) -> None:
    """A decimal serial is understood too."""
    cert = store.issue(UNIT, key_type="ecdsa-p256")
    assert store.revoke(str(cert.serial_number)) == [cert.serial_number]


def test_revoke_unit_revokes_all_and_updates_crl(store: KeyStore) -> None:
    """Revoking a unit revokes each cert, lists them in a fresh CRL, and signing stops."""
    certs = [store.issue(UNIT, key_type="ecdsa-p256") for _ in range(2)]
    other = store.issue("000.00.00.H02", key_type="ecdsa-p256")
    assert sorted(store.revoke(UNIT)) == sorted(c.serial_number for c in certs)
    assert store.revoke(UNIT) == []  # already revoked: nothing new
    crl = x509.load_pem_x509_crl(store.crl_path.read_bytes())
    assert crl.is_signature_valid(store.ca_certificate().public_key())  # type: ignore[arg-type]
    assert {r.serial_number for r in crl} == {c.serial_number for c in certs}
    statuses = {(i.unit, i.status) for i in store.list()}
    assert statuses == {(UNIT, "revoked"), ("000.00.00.H02", "valid")}
    with pytest.raises(PkiError) as err:
        store.signer(UNIT)
    assert err.value.code == "pki.no_signing_key"
    assert store.trust_store().check(other) == "000.00.00.H02"
    with pytest.raises(PkiError):
        store.export(UNIT)


def test_revoke_unknown(store: KeyStore) -> None:
    """An unknown unit or serial is pki.unknown_certificate."""
    with pytest.raises(PkiError) as err:
        store.revoke("000.00.00.H99")
    assert err.value.code == "pki.unknown_certificate"


def test_trust_store_rejects_foreign_ca(store: KeyStore, tmp_path: Path) -> None:
    """A certificate from another hub's CA is not trusted."""
    other = KeyStore(Config(home=tmp_path / "other"))
    other.init_ca(key_type="ecdsa-p256")
    foreign = other.issue(UNIT, key_type="ecdsa-p256")
    with pytest.raises(SignatureError) as err:
        store.trust_store().check(foreign)
    assert err.value.code == "signature.untrusted_certificate"


def test_crl_resigned_when_near_expiry(store: KeyStore) -> None:
    """trust_store() re-signs a CRL that is past half its lifetime, keeping revocations."""
    cert = store.issue(UNIT, key_type="ecdsa-p256")
    store.revoke(UNIT)
    ca_key = read_private_key(store.ca_key_path, b"correct horse battery staple")
    short = ca.build_crl(ca_key, store.ca_certificate(), [], number=99, days=1)
    store.crl_path.write_bytes(short.public_bytes(serialization.Encoding.PEM))
    trust = store.trust_store()
    [crl] = trust.crls
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > datetime.now(UTC) + timedelta(days=6)
    with pytest.raises(SignatureError):
        trust.check(cert)


def test_stale_crl_without_passphrase_fails_closed(
    store: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no passphrase to re-sign, an expired CRL is kept and verification fails closed."""
    cert = store.issue(UNIT, key_type="ecdsa-p256")
    ca_key = read_private_key(store.ca_key_path, b"correct horse battery staple")
    short = ca.build_crl(ca_key, store.ca_certificate(), [], number=99, days=1)
    store.crl_path.write_bytes(short.public_bytes(serialization.Encoding.PEM))
    monkeypatch.delenv("LIENTHONG_KEY_PASSPHRASE")
    later = datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(SignatureError) as err:
        store.trust_store().check(cert, at=later)
    assert err.value.code == "signature.crl_stale"


def test_wrong_passphrase_for_signer(store: KeyStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a signing key with the wrong passphrase is pki.bad_passphrase."""
    store.issue(UNIT, key_type="ecdsa-p256")
    monkeypatch.setenv("LIENTHONG_KEY_PASSPHRASE", "wrong")
    with pytest.raises(PkiError) as err:
        store.signer(UNIT)
    assert err.value.code == "pki.bad_passphrase"


def test_export_ca_and_list_order(store: KeyStore) -> None:
    """export('ca') is the CA PEM; list() reports serial, dates and local key."""
    assert store.export("ca").startswith("-----BEGIN CERTIFICATE-----")
    cert = store.issue(UNIT, key_type="ecdsa-p256", days=30)
    [info] = store.list()
    assert (info.unit, info.serial, info.has_local_key) == (UNIT, cert.serial_number, True)
    assert info.not_after - info.not_before < timedelta(days=31)


@pytest.mark.parametrize("name", ["../..", "000.00.00.H01/../..", "*"])
def test_unit_names_never_become_paths(store: KeyStore, name: str) -> None:
    """A unit argument outside the code pattern is refused before it touches the disk."""
    for call in (store.signer, store.certificates, store.export):
        with pytest.raises(DirectoryError) as err:
            call(name)
        assert err.value.code == "directory.bad_unit_code"
