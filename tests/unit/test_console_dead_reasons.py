"""Dead-letter reasons in words, in both console languages, with the error described."""

from __future__ import annotations

from gateway.console.i18n import dead_letter_reason


def test_reasons_in_words_with_the_error_described() -> None:
    """Each bus reason reads as a sentence; the last error's meaning comes with its code."""
    assert dead_letter_reason("en", "delivery_limit", "", 5) == "Gave up after 5 attempts"
    assert dead_letter_reason("vi", "expired", "", 1) == "Hết hạn trước khi được giao"
    assert dead_letter_reason("en", "rejected", "message.not_found", 1) == (
        "Refused when it was handled: No such document, or not one you may see (message.not_found)"
    )


def test_unknown_reasons_and_codes_stay_readable() -> None:
    """A reason or code the console does not know is shown as it is, never dropped."""
    assert dead_letter_reason("en", "mystery", "x.y", 2) == "mystery: x.y"
