"""Coupon codes that cannot be guessed and are easy to read out and type.

Codes are drawn with ``secrets`` from a 32-symbol alphabet without the look-alikes 0/O and
1/I, so each symbol carries 5 bits and the default 12 symbols give 60 bits: guessing one of a
million live codes still takes about 2**40 tries on average. They are printed in groups
(``7KQM-X3VD-R9TH``) and accepted in any case, with or without dashes or spaces, and with
Persian/Arabic digits.
"""

from __future__ import annotations

import math
import secrets
import unicodedata

from crm_loyalty._text import ascii_digits, strip_separators

__all__ = [
    "ALPHABET",
    "MIN_ENTROPY_BITS",
    "coupon_entropy_bits",
    "format_coupon_code",
    "generate_coupon_code",
    "generate_coupon_codes",
    "is_well_formed_coupon_code",
    "normalize_coupon_code",
]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MIN_ENTROPY_BITS = 60.0
DEFAULT_LENGTH = 12
DEFAULT_GROUP = 4

_ALLOWED = frozenset(ALPHABET)


def coupon_entropy_bits(length: int) -> float:
    """Bits of entropy of a random code of ``length`` symbols."""
    return length * math.log2(len(ALPHABET))


def _check_length(length: int) -> None:
    if coupon_entropy_bits(length) < MIN_ENTROPY_BITS:
        needed = math.ceil(MIN_ENTROPY_BITS / math.log2(len(ALPHABET)))
        raise ValueError(f"coupon codes need at least {needed} symbols ({MIN_ENTROPY_BITS:g} bits)")


def normalize_coupon_code(text: str) -> str:
    """Canonical form to store and look up: upper case, ASCII digits, no separators.

    A campaign ``prefix`` (``"NOWRUZ"``) stays in front of the random part; it adds no
    entropy.
    """
    return strip_separators(ascii_digits(unicodedata.normalize("NFKC", text).strip())).upper()


def format_coupon_code(code: str, group: int = DEFAULT_GROUP, prefix: str = "") -> str:
    """``prefix`` then the random part in dash-separated groups."""
    canonical = normalize_coupon_code(code)
    head = normalize_coupon_code(prefix)
    if head and canonical.startswith(head):
        canonical = canonical[len(head) :]
    groups = [canonical[i : i + group] for i in range(0, len(canonical), group)]
    return "-".join(([head] if head else []) + groups)


def is_well_formed_coupon_code(text: str, length: int = DEFAULT_LENGTH, prefix: str = "") -> bool:
    """Right length and alphabet after normalisation (whether it exists is the database's job)."""
    canonical = normalize_coupon_code(text)
    head = normalize_coupon_code(prefix)
    if not canonical.startswith(head):
        return False
    body = canonical[len(head) :]
    return len(body) == length and set(body) <= _ALLOWED


def generate_coupon_code(length: int = DEFAULT_LENGTH, group: int = DEFAULT_GROUP, prefix: str = "") -> str:
    """A new random code, formatted for display (store ``normalize_coupon_code`` of it)."""
    _check_length(length)
    body = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return format_coupon_code(body, group=group, prefix=prefix)


def generate_coupon_codes(
    count: int, length: int = DEFAULT_LENGTH, group: int = DEFAULT_GROUP, prefix: str = ""
) -> list[str]:
    """``count`` distinct codes for a batch (distinct within the batch; the database's unique
    constraint still guards against an existing code)."""
    _check_length(length)
    codes: dict[str, str] = {}
    while len(codes) < count:
        code = generate_coupon_code(length, group, prefix)
        codes.setdefault(normalize_coupon_code(code), code)
    return list(codes.values())
