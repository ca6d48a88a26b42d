"""Normalising what people type: any Unicode decimal digit to ASCII, separators dropped."""

from __future__ import annotations

import unicodedata

SEPARATORS = frozenset(" -_.\u00a0\u2009\u200c\u200f\u200e\u2010\u2011\u2012\u2013\u2014\u2212\u066c")


def ascii_digits(text: str) -> str:
    """Persian (۰-۹), Arabic-Indic (٠-٩) and other Unicode decimal digits as ASCII 0-9."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def strip_separators(text: str) -> str:
    """Drop spaces, dashes (ASCII and Unicode), dots, underscores and bidi/zero-width marks."""
    return "".join(ch for ch in text if ch not in SEPARATORS)
