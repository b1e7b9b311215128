"""Private key files: generation, encryption at rest, modes, passphrase sources."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from gateway.config import load_config
from gateway.errors import PkiError
from gateway.pki import keyfiles


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("key_type", "cls", "size"),
    [("rsa2048", rsa.RSAPrivateKey, 2048), ("ecdsa-p256", ec.EllipticCurvePrivateKey, 256)],
)
def test_generate_key_types(key_type: str, cls: type, size: int) -> None:
    """Each supported key type yields a key of the right algorithm and size."""
    key = keyfiles.generate_key(key_type)
    assert isinstance(key, cls)
    assert key.key_size == size


def test_unknown_key_type_is_refused() -> None:
    """An unknown key type is a typed PKI error, not a crash."""
    with pytest.raises(PkiError) as err:
        keyfiles.generate_key("dsa1024")
    assert err.value.code == "pki.error"


def test_private_key_written_encrypted_with_mode_0600(tmp_path: Path) -> None:
    """A key file is encrypted PKCS#8 PEM with mode 0600 and reads back with the passphrase."""
    key = keyfiles.generate_key("ecdsa-p256")
    path = tmp_path / "unit.key"
    keyfiles.write_private_key(path, key, b"secret")
    assert _mode(path) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    back = keyfiles.read_private_key(path, b"secret")
    assert back.public_key().public_numbers() == key.public_key().public_numbers()
    assert not list(tmp_path.glob(".*tmp")), "no temporary file is left behind"


@pytest.mark.parametrize("passphrase", [b"wrong", None])
def test_wrong_or_missing_passphrase(tmp_path: Path, passphrase: bytes | None) -> None:
    """Reading a key with a wrong or no passphrase is pki.bad_passphrase."""
    path = tmp_path / "unit.key"
    keyfiles.write_private_key(path, keyfiles.generate_key("ecdsa-p256"), b"secret")
    with pytest.raises(PkiError) as err:
        keyfiles.read_private_key(path, passphrase)
    assert err.value.code == "pki.bad_passphrase"


@pytest.mark.parametrize("passphrase", [b"wrong", None])
def test_own_key_read_still_needs_the_passphrase(tmp_path: Path, passphrase: bytes | None) -> None:
    """A key read as the hub's own (no RSA consistency check) is refused without the
    right passphrase all the same."""
    path = tmp_path / "unit.key"
    keyfiles.write_private_key(path, keyfiles.generate_key("rsa2048"), b"secret")
    with pytest.raises(PkiError) as err:
        keyfiles.read_private_key(path, passphrase, own=True)
    assert err.value.code == "pki.bad_passphrase"


def test_own_rsa_key_read_back_signs_what_its_public_key_verifies(tmp_path: Path) -> None:
    """An RSA key read as the hub's own is the same key: its signature verifies."""
    key = keyfiles.generate_key("rsa2048")
    assert isinstance(key, rsa.RSAPrivateKey)
    path = tmp_path / "unit.key"
    keyfiles.write_private_key(path, key, b"secret")
    back = keyfiles.read_private_key(path, b"secret", own=True)
    assert isinstance(back, rsa.RSAPrivateKey)
    signature = back.sign(b"document", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(signature, b"document", padding.PKCS1v15(), hashes.SHA256())


def test_a_foreign_key_that_fails_the_rsa_check_is_refused() -> None:
    """A key from outside the hub (the CA key of an import) still gets the RSA check: an
    inconsistent key is pki.error, not accepted."""
    key = keyfiles.generate_key("rsa2048")
    assert isinstance(key, rsa.RSAPrivateKey)
    n = key.private_numbers()
    broken = rsa.RSAPrivateNumbers(
        n.p, n.q, n.d, n.dmp1, n.dmq1, (n.iqmp + 1) % n.p, n.public_numbers
    ).private_key(unsafe_skip_rsa_key_validation=True)
    pem = broken.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(PkiError) as err:
        keyfiles.parse_private_key(pem, None, where="CA key")
    assert err.value.code == "pki.error"


def test_private_dir_is_0700(tmp_path: Path) -> None:
    """The keys directory is created (with parents) and narrowed to mode 0700."""
    path = tmp_path / "a" / "keys"
    keyfiles.ensure_private_dir(path)
    assert _mode(path) == 0o700


def test_passphrase_from_env_wins(tmp_path: Path) -> None:
    """LIENTHONG_KEY_PASSPHRASE is used before any passphrase file."""
    env = {"LIENTHONG_KEY_PASSPHRASE": "from-env", "LIENTHONG_KEYS_PASSPHRASE_FILE": "nope"}
    config = load_config(home=tmp_path, env=env)
    assert keyfiles.load_passphrase(config, env) == b"from-env"


def test_passphrase_from_file_relative_to_home(tmp_path: Path) -> None:
    """A relative passphrase_file is read from the home, trailing newline stripped."""
    (tmp_path / "pp").write_text("from-file\n")
    env = {"LIENTHONG_KEYS_PASSPHRASE_FILE": "pp"}
    config = load_config(home=tmp_path, env=env)
    assert keyfiles.load_passphrase(config, env) == b"from-file"


@pytest.mark.parametrize("env", [{}, {"LIENTHONG_KEYS_PASSPHRASE_FILE": "missing"}])
def test_no_passphrase_is_bad_passphrase(tmp_path: Path, env: dict[str, str]) -> None:
    """No env and no (readable) passphrase file is pki.bad_passphrase."""
    config = load_config(home=tmp_path, env=env)
    with pytest.raises(PkiError) as err:
        keyfiles.load_passphrase(config, env)
    assert err.value.code == "pki.bad_passphrase"


def test_generated_passphrase_file(tmp_path: Path) -> None:
    """A generated passphrase file is 0600 and holds a long random secret."""
    path = tmp_path / "passphrase"
    keyfiles.generate_passphrase_file(path)
    assert _mode(path) == 0o600
    assert len(path.read_text().strip()) >= 40
