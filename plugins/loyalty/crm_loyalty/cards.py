"""Loyalty card numbers with a Luhn check digit, and the card's QR code as SVG.

The Luhn digit catches every single-digit typo and most swaps of adjacent digits when a
cashier keys a number in by hand. The random part comes from ``secrets`` so that card numbers
cannot be enumerated from one known card.
"""

from __future__ import annotations

import io
import secrets

from crm_loyalty._text import ascii_digits, strip_separators

__all__ = [
    "card_qr_svg",
    "format_card_number",
    "generate_card_number",
    "is_valid_card_number",
    "luhn_check_digit",
    "normalize_card_number",
]

MIN_LENGTH = 8
MAX_LENGTH = 32


def normalize_card_number(text: str) -> str:
    """ASCII digits only: Persian/Arabic digits converted, spaces and dashes removed.

    Raises ``ValueError`` on any other character.
    """
    digits = strip_separators(ascii_digits(text.strip()))
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a card number: {text!r}")
    return digits


def luhn_check_digit(payload: str) -> str:
    """The Luhn digit to append to ``payload`` (ASCII digits)."""
    if not payload.isascii() or not payload.isdigit():
        raise ValueError("payload must be ASCII digits")
    total = 0
    # Doubling starts with the rightmost payload digit, which sits next to the check digit.
    for position, ch in enumerate(reversed(payload)):
        d = int(ch)
        if position % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def is_valid_card_number(text: str, prefix: str = "", length: int | None = None) -> bool:
    """True when ``text`` normalises to digits with a correct Luhn digit (and the prefix/length asked)."""
    try:
        number = normalize_card_number(text)
    except ValueError:
        return False
    if len(number) < 2 or (length is not None and len(number) != length):
        return False
    if prefix and not number.startswith(prefix):
        return False
    return luhn_check_digit(number[:-1]) == number[-1]


def generate_card_number(prefix: str = "", length: int = 16) -> str:
    """A new card number: ``prefix``, random digits, Luhn check digit; ``length`` digits in all."""
    prefix = normalize_card_number(prefix) if prefix else ""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"length must be between {MIN_LENGTH} and {MAX_LENGTH}")
    random_digits = length - len(prefix) - 1
    if random_digits < 6:
        raise ValueError("prefix too long: keep at least 6 random digits")
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(random_digits))
    return body + luhn_check_digit(body)


def format_card_number(number: str, group: int = 4, separator: str = " ") -> str:
    """Digits in groups for printing (``6037 9912 3456 7893``)."""
    digits = normalize_card_number(number)
    return separator.join(digits[i : i + group] for i in range(0, len(digits), group))


def card_qr_svg(
    number: str,
    *,
    scale: int = 4,
    border: int = 4,
    dark: str = "#000",
    light: str | None = "#fff",
    title: str | None = None,
) -> str:
    """A standalone SVG document (string) with a QR code of the normalised card number.

    Always a full QR code, never a Micro QR, which many phone scanners cannot read; error
    correction is at least M (``segno`` raises it when that costs no extra size).
    """
    import segno

    qr = segno.make_qr(normalize_card_number(number), error="m")
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        scale=scale,
        border=border,
        dark=dark,
        light=light,
        title=title,
        xmldecl=False,
        nl=False,
    )
    return buffer.getvalue().decode("utf-8")
