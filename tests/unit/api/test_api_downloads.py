"""Content-Disposition encoding and media type sanitising for downloads."""

from __future__ import annotations

import pytest

from gateway.api.downloads import content_disposition, safe_media_type
from gateway.api.uploads import upload_filename


def test_ascii_name_has_plain_and_encoded_forms() -> None:
    """A plain name appears as filename and as filename*."""
    assert content_disposition("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )


def test_vietnamese_name_is_rfc5987_encoded() -> None:
    """Non-ASCII names are percent-encoded UTF-8 with an ASCII fallback."""
    header = content_disposition("Công văn số 12.pdf")
    assert "filename*=UTF-8''C%C3%B4ng%20v%C4%83n%20s%E1%BB%91%2012.pdf" in header
    assert 'filename="Cong van so 12.pdf"' in header
    header.encode("ascii")


@pytest.mark.parametrize(
    "hostile",
    ['a"; filename=evil.exe', "a\r\nSet-Cookie: x=1", "../../etc/passwd", "C:\\Windows\\x.dll"],
)
def test_hostile_names_cannot_break_the_header(hostile: str) -> None:
    """Quotes, CR/LF and path components never reach the header raw."""
    header = content_disposition(hostile)
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "/" not in fallback and "\\" not in fallback
    assert "../" not in header and "%2F" not in header


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("application/pdf", "application/pdf"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ("", "application/octet-stream"),
        (None, "application/octet-stream"),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_media_type_is_plain_or_octet_stream(given: str | None, expected: str) -> None:
    """Only a bare type/subtype is echoed as Content-Type."""
    assert safe_media_type(given) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("b%C3%A1o%20c%C3%A1o.pdf", "báo cáo.pdf"),
        ("báo cáo.pdf", "báo cáo.pdf"),
        ("ba\u0301o.pdf", "báo.pdf"),
        ("100%.txt", "100%.txt"),
        ("bad%FF.txt", "bad%FF.txt"),
    ],
)
def test_upload_filename_decodes_percent_and_normalises(raw: str, expected: str) -> None:
    """Percent-encoded names (aiohttp clients) are decoded; NFD becomes NFC; bad escapes stay."""
    assert upload_filename(raw) == expected
