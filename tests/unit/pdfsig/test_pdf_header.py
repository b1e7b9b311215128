"""Files named or typed as PDFs that are not PDFs never reach the PDF parser."""

from __future__ import annotations

from gateway.pdfsig.check import PdfChecker


def _checker() -> PdfChecker:
    return PdfChecker(lambda: [])


def test_garbage_named_pdf_is_unreadable_without_parsing() -> None:
    """A large file without the ``%PDF-`` marker is refused before the parser sees it."""
    data = b"x" * (4 << 20)
    verdict = _checker()(data, "big.pdf")
    assert verdict.status == "unreadable"
    assert verdict.problem == "not a PDF file"


def test_marker_after_leading_bytes_is_still_parsed() -> None:
    """A PDF whose marker follows a few leading bytes still goes to the parser."""
    data = b"\xef\xbb\xbf%PDF-1.7\n%%EOF\n"
    verdict = _checker()(data, "odd.pdf")
    assert verdict.problem != "not a PDF file"
