"""Signed PDFs for tests: an own CA, person and organisation certificates, pyHanko signing.

Nothing touches disk unless asked (``write_trust_dir``). Certificates carry the
non-repudiation key usage Vietnamese CAs put on signing certificates.
"""

from __future__ import annotations

import io
import random
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from asn1crypto import keys as akeys
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.writer import PdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.timestamps import HTTPTimeStamper

__all__ = [
    "PdfCA",
    "PdfSigner",
    "costly_pdf",
    "hungry_pdf",
    "minimal_pdf",
    "pdf_ca",
    "sign_pdf",
    "tamper",
]

DAY = timedelta(days=1)


@cache
def _key(slot: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _usage(ca: bool) -> x509.KeyUsage:
    """Signing certificates: digital signature + non-repudiation; the CA: cert and CRL sign."""
    unused = ("key_encipherment", "data_encipherment", "key_agreement")
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
        **dict.fromkeys(unused, False),
    )


@dataclass(frozen=True)
class PdfSigner:
    """A signing certificate and its key."""

    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def pyhanko(self, ca: x509.Certificate) -> signers.SimpleSigner:
        """The pyHanko signer (the CA certificate embedded beside the signer's)."""
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return signers.SimpleSigner(
            signing_cert=_a(self.cert),
            signing_key=akeys.PrivateKeyInfo.load(der),
            cert_registry=SimpleCertificateStore.from_certs([_a(ca)]),
        )


def _a(cert: x509.Certificate) -> ax509.Certificate:
    return ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class PdfCA:
    """A CA with its certificate and key; issues person and organisation certificates."""

    name: str
    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    def issue(
        self,
        cn: str,
        org: str,
        *,
        slot: int,
        expired: bool = False,
        days: int = 365,
        crl_url: str | None = None,
        ocsp_url: str | None = None,
    ) -> PdfSigner:
        """A signing certificate (``expired``: its validity ended yesterday; ``crl_url``:
        the CRL distribution point it names; ``ocsp_url``: the OCSP responder its
        Authority Information Access names)."""
        now = datetime.now(UTC)
        start, end = (now - 30 * DAY, now - DAY) if expired else (now - DAY, now + days * DAY)
        key = _key(slot)
        builder = x509.CertificateBuilder()
        if crl_url is not None:
            point = x509.DistributionPoint(
                [x509.UniformResourceIdentifier(crl_url)], None, None, None
            )
            builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
        if ocsp_url is not None:
            access = x509.AccessDescription(
                x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )
            builder = builder.add_extension(
                x509.AuthorityInformationAccess([access]), critical=False
            )
        cert = (
            builder.subject_name(_name(cn, org))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(False), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        return PdfSigner(cert, key)

    def person(self, **kw: bool) -> PdfSigner:
        """Nguyễn Văn A of UBND xã Test."""
        return self.issue("Nguyễn Văn A", "UBND xã Test", slot=11, **kw)

    def organisation(self, **kw: bool) -> PdfSigner:
        """UBND xã Test itself (its common name is its organisation name)."""
        return self.issue("UBND xã Test", "UBND xã Test", slot=12, **kw)

    def crl(self, revoked: list[x509.Certificate]) -> bytes:
        """A DER CRL listing ``revoked``, valid for a day."""
        now = datetime.now(UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - DAY)
            .next_update(now + DAY)
        )
        for cert in revoked:
            entry = (
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(now - DAY / 2)
                .build()
            )
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(self.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def pem(self) -> bytes:
        """The CA certificate, PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def write_trust_dir(self, folder: Path) -> Path:
        """Put the CA certificate in ``folder`` (made if needed)."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.name}.pem").write_bytes(self.pem())
        return folder


@cache
def pdf_ca(name: str = "test-pdf-ca", slot: int = 10) -> PdfCA:
    """A self-signed CA (one per name per process)."""
    key = _key(slot)
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - 365 * DAY)
        .not_valid_after(now + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return PdfCA(name, cert, key)


def minimal_pdf(text: str = "Quyết định số 12/QĐ-UBND", pad: int = 0) -> bytes:
    """A one-page PDF made with pyHanko's writer (``pad`` bytes of filler stream)."""
    w = PdfFileWriter()
    content = generic.StreamObject(stream_data=f"% {text}\n".encode() + b"%" * pad)
    page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): generic.ArrayObject(
                [generic.NumberObject(n) for n in (0, 0, 595, 842)]
            ),
            generic.NameObject("/Contents"): w.add_object(content),
        }
    )
    w.insert_page(page)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def sign_pdf(
    pdf: bytes,
    signer: PdfSigner,
    ca: PdfCA,
    *,
    field: str = "Signature1",
    tsa_url: str | None = None,
) -> bytes:
    """``pdf`` with one more signature (an incremental update)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stamper = HTTPTimeStamper(tsa_url) if tsa_url else None
        out = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
            signers.PdfSignatureMetadata(field_name=field),
            signer=signer.pyhanko(ca.cert),
            timestamper=stamper,
        )
    return out.getvalue()


def tamper(signed: bytes) -> bytes:
    """``signed`` with a page's content changed in a new revision after signing."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
        page = w.root["/Pages"]["/Kids"][0].get_object()
        page["/Contents"] = w.add_object(generic.StreamObject(stream_data=b"% changed\n"))
        w.update_container(page)
        out = io.BytesIO()
        w.write(out)
    return out.getvalue()


def costly_pdf(signed: bytes, fields: int = 40_000) -> bytes:
    """A well-formed ``signed`` PDF with ``fields`` text fields added after signing: valid
    syntax, but checking it costs seconds of CPU (every field is walked and compared by
    pyHanko's difference analysis)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
        form = w.root["/AcroForm"]
        listed = form["/Fields"]
        for i in range(fields):
            field = generic.DictionaryObject(
                {
                    generic.NameObject("/FT"): generic.NameObject("/Tx"),
                    generic.NameObject("/T"): generic.TextStringObject(f"f{i}"),
                }
            )
            listed.append(w.add_object(field))
        w.update_container(form)
        out = io.BytesIO()
        w.write(out)
    return out.getvalue()


def hungry_pdf(signed: bytes, mib: int = 2) -> bytes:
    """A ``signed`` PDF with one text field added after signing whose ``/Pad`` entry is a
    hex string of ``2 * mib`` MiB, kept in a compressed object stream: the file is small
    and every stream stays within pyHanko's decompression limits, yet checking it makes
    pyHanko parse that string into many times its size (at ``mib = 2`` a check needs more
    than 256 MiB of address space, and fits in 1024)."""
    noise = random.Random(28).randbytes(48 * 1024)
    # mostly zeros with some noise: below the object streams' expansion ratio limit (100)
    block = b"".join(bytes(976) + noise[i * 48 : i * 48 + 48] for i in range(1024))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
        form = w.root["/AcroForm"]
        packed = w.prepare_object_stream()
        pad = w.add_object(generic.ByteStringObject(block * mib), obj_stream=packed)
        field = generic.DictionaryObject(
            {
                generic.NameObject("/FT"): generic.NameObject("/Tx"),
                generic.NameObject("/T"): generic.TextStringObject("pad"),
                generic.NameObject("/Pad"): pad,
            }
        )
        form["/Fields"].append(w.add_object(field, obj_stream=packed))
        w.update_container(form)
        out = io.BytesIO()
        w.write(out)
    return out.getvalue()
