"""Private key files: generated, encrypted (PKCS#8), written atomically with mode 0600.

Private keys live only under ``HOME/keys`` (mode 0700), never in the repository. They are
encrypted with the passphrase from ``LIENTHONG_KEY_PASSPHRASE`` or the file named by
``[keys] passphrase_file`` (relative paths are relative to the home); a missing or wrong
passphrase is ``pki.bad_passphrase``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.config import Config
from gateway.errors import PkiError

__all__ = [
    "KEY_TYPES",
    "PASSPHRASE_ENV",
    "PrivateKey",
    "PublicKey",
    "ensure_private_dir",
    "generate_key",
    "generate_passphrase_file",
    "load_passphrase",
    "passphrase_path",
    "read_private_key",
    "write_file_atomic",
    "write_private_key",
]

PASSPHRASE_ENV: Final = "LIENTHONG_KEY_PASSPHRASE"  # noqa: S105 (a variable name)

#: The key types the hub generates (and accepts in a CSR).
KEY_TYPES: Final = ("rsa2048", "rsa3072", "ecdsa-p256")

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def generate_key(key_type: str) -> PrivateKey:
    """A new private key of ``key_type`` (one of :data:`KEY_TYPES`)."""
    if key_type == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    if key_type == "ecdsa-p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise PkiError(
        f"unknown key type {key_type!r} (use one of {', '.join(KEY_TYPES)})", code="pki.error"
    )


def load_passphrase(config: Config, env: Mapping[str, str] | None = None) -> bytes:
    """The key passphrase from the environment or the passphrase file; raise if none."""
    env = os.environ if env is None else env
    value = env.get(PASSPHRASE_ENV)
    if value:
        return value.encode("utf-8")
    if config.keys.passphrase_file:
        path = passphrase_path(config)
        try:
            text = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise PkiError(
                f"cannot read the passphrase file {path}: {exc.strerror}",
                code="pki.bad_passphrase",
            ) from exc
        if text:
            return text.encode("utf-8")
        raise PkiError(f"the passphrase file {path} is empty", code="pki.bad_passphrase")
    raise PkiError(
        f"no key passphrase: set {PASSPHRASE_ENV} or [keys] passphrase_file",
        code="pki.bad_passphrase",
    )


def passphrase_path(config: Config) -> Path:
    """Where ``[keys] passphrase_file`` points (relative to the home)."""
    return config.home / Path(config.keys.passphrase_file).expanduser()


def generate_passphrase_file(path: Path) -> None:
    """Write a fresh random passphrase (32 bytes, URL-safe) to ``path`` with mode 0600."""
    write_file_atomic(path, secrets.token_urlsafe(32).encode("ascii") + b"\n", mode=0o600)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make it mode 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def write_file_atomic(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to a temporary file created with ``mode``, fsync, rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)  # the umask may have narrowed or (for 0644) kept it; be exact
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_private_key(path: Path, key: PrivateKey, passphrase: bytes) -> None:
    """Write ``key`` as encrypted PKCS#8 PEM, mode 0600, atomically."""
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase),
    )
    write_file_atomic(path, pem, mode=0o600)


def read_private_key(path: Path, passphrase: bytes | None, *, own: bool = False) -> PrivateKey:
    """Read a PEM private key; a missing or wrong passphrase is ``pki.bad_passphrase``.

    ``own``: a key this hub wrote itself (:func:`write_private_key`, encrypted with the
    hub's passphrase). Such a key was checked when it was made or imported, so reading it
    again skips the RSA consistency check, which costs far more than the decryption and
    the signature together; a file that does not decrypt with the passphrase is still
    refused. Keys from outside (an imported CA) are always checked."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PkiError(f"cannot read key {path.name}: {exc.strerror}", code="pki.error") from exc
    return parse_private_key(data, passphrase, where=path.name, check=not own)


def parse_private_key(
    data: bytes, passphrase: bytes | None, *, where: str = "key", check: bool = True
) -> PrivateKey:
    """Decode a PEM private key (RSA or EC only); ``check=False`` skips the RSA
    consistency check (only for keys the hub wrote itself, see :func:`read_private_key`)."""
    try:
        key = serialization.load_pem_private_key(
            data, password=passphrase, unsafe_skip_rsa_key_validation=not check
        )
    except TypeError as exc:
        raise PkiError(
            f"{where}: passphrase missing or not needed", code="pki.bad_passphrase"
        ) from exc
    except ValueError as exc:
        if b"ENCRYPTED" in data:
            raise PkiError(f"{where}: wrong passphrase", code="pki.bad_passphrase") from exc
        raise PkiError(f"{where}: not a PEM private key", code="pki.error") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise PkiError(f"{where}: only RSA and EC keys are supported", code="pki.error")
    return key
