"""Ask a TSA for a token over a SHA-256 digest; check a token without the hub.

The client is pyHanko's RFC 3161 HTTP client. A token is checked by pyHanko's CMS
validation: the TSA's signature over the TSTInfo, the message imprint against the digest,
and the TSA certificate's chain to ``anchors`` (when none are given the check says the
TSA's identity was not checked, and which certificate signed).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from dataclasses import dataclass

import aiohttp
from asn1crypto import cms, tsp
from asn1crypto import x509 as ax509

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

__all__ = ["TokenCheck", "Tsa", "check_token", "token_time"]

for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


class Tsa:
    """One TSA at ``url``; :meth:`stamp` raises ``OSError``/``ValueError`` when it fails."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    async def stamp(self, digest: bytes) -> bytes:
        """A DER timestamp token over the SHA-256 ``digest``."""
        async with aiohttp.ClientSession() as session:
            stamper = HTTPTimeStamper(self.url, timeout=self.timeout, session=session)
            try:
                async with asyncio.timeout(self.timeout):
                    token = await stamper.async_timestamp(digest, "sha256")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise OSError(f"TSA {self.url}: {exc or type(exc).__name__}") from exc
            except Exception as exc:  # pyHanko's TimestampRequestError and parse errors
                raise ValueError(f"TSA {self.url}: {exc}") from exc
        return bytes(token.dump())


@dataclass(frozen=True)
class TokenCheck:
    """What a token proves: ``ok``, the time, who stamped, and the first problem."""

    ok: bool
    time: str | None
    tsa: str
    trusted: bool
    problem: str | None = None


def _tst(token: bytes) -> tuple[cms.SignedData, tsp.TSTInfo]:
    info = cms.ContentInfo.load(token)
    signed = info["content"]
    tst = signed["encap_content_info"]["content"].parsed
    if not isinstance(tst, tsp.TSTInfo):
        raise ValueError("not a timestamp token")
    return signed, tst


def token_time(token: bytes) -> str:
    """The token's genTime, ISO 8601 UTC."""
    return str(_tst(token)[1]["gen_time"].native.isoformat())


def _signer(signed: cms.SignedData) -> str:
    certs = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
    sid = signed["signer_infos"][0]["sid"].chosen
    for cert in certs:
        if (
            isinstance(sid, cms.IssuerAndSerialNumber)
            and cert.serial_number == sid["serial_number"].native
        ):
            return str(cert.subject.human_friendly)
    return certs[0].subject.human_friendly if certs else "?"


async def check_token(
    token: bytes, digest: bytes, anchors: list[ax509.Certificate] | None = None
) -> TokenCheck:
    """Check ``token`` over ``digest`` (SHA-256) offline."""
    try:
        signed, tst = _tst(token)
    except (ValueError, TypeError, KeyError) as exc:
        return TokenCheck(False, None, "?", False, f"unreadable token: {exc}")
    when = tst["gen_time"].native.isoformat()
    who = _signer(signed)
    if tst["message_imprint"]["hashed_message"].native != digest:
        return TokenCheck(False, when, who, False, "the token is over other bytes")
    context = ValidationContext(trust_roots=anchors or [], allow_fetching=False)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            status = await validate_tst_signed_data(signed, context, lambda alg: digest)
    except Exception as exc:  # a malformed CMS structure: the token proves nothing
        return TokenCheck(False, when, who, False, f"invalid token: {exc}")
    if not (status.get("intact") and status.get("valid")):
        return TokenCheck(False, when, who, False, "the TSA's signature does not hold")
    trusted = status.get("trust_problem_indic") is None and bool(status.get("validation_path"))
    if anchors and not trusted:
        return TokenCheck(False, when, who, False, "the TSA does not chain to the trust list")
    note = None if anchors else "the TSA's certificate was not checked against a trust list"
    return TokenCheck(True, when, who, trusted, note)
