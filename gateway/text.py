"""Text as it enters the hub: one Unicode spelling (NFC), and the folded search key.

Vietnamese can be typed precomposed (``ế`` U+1EBF) or decomposed (``e`` + U+0302 +
U+0301, as macOS file names and some keyboards give it); the two look the same and must
be one string. Every place text enters (multipart metadata, envelope and edXML parsing,
receipt reasons, file names, unit names, the CLI) passes it through :func:`nfc`.

:func:`fold` is what search compares: lowercase, without diacritics (``đ`` → ``d``),
whitespace collapsed. ``Kế hoạch``, ``KẾ HOẠCH`` and ``ke hoach`` fold alike; the
stores keep the folded subject and unit names in their own indexed columns.
"""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "nfc", "nfc_opt"]

#: Letters with no decomposition into base + combining mark.
_NO_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"})


def nfc(text: str) -> str:
    """``text`` in Unicode Normalisation Form C (ASCII returns at once)."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def nfc_opt(text: str | None) -> str | None:
    """:func:`nfc`, passing ``None`` through."""
    return None if text is None else nfc(text)


def fold(text: str) -> str:
    """The search key of ``text``: lowercase, diacritics removed, single spaces, NFC."""
    text = text.casefold()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFD", text.translate(_NO_DECOMPOSITION))
        text = unicodedata.normalize(
            "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
        )
    return " ".join(text.split())
