"""Normalising what people type: digits in any script, emails, phone numbers."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_DIGITS = str.maketrans(
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬",  # Persian (Extended Arabic-Indic) and Arabic-Indic digits, Arabic separators
    "01234567890123456789.,",
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}$")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
# phonenumbers otherwise looks each of its patterns up in re's own cache, which the metadata of a few countries
# overflows, on every call.
phonenumbers.enable_pattern_cache()


def normalize_digits(text: str) -> str:
    """Persian and Arabic-Indic digits become ASCII digits; everything else is kept."""
    return text.translate(_DIGITS)


@lru_cache(maxsize=8192)
def normalize_email(raw: str) -> str:
    """Return the email in the form used for storage and de-duplication, or raise ValueError.

    Cached, as ``normalize_phone`` is: the import asks for each row's email twice.
    """
    email = raw.strip()
    if not _EMAIL.match(email):
        raise ValueError("Not a valid email address.")
    local, _, domain = email.rpartition("@")
    if not _LOCAL_PART.match(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError("Not a valid email address.")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("Not a valid email domain.") from exc
    if any(not label or len(label) > 63 for label in domain.split(".")):
        raise ValueError("Not a valid email domain.")
    return f"{local}@{domain}".lower()


@lru_cache(maxsize=8192)
def normalize_phone(raw: str, default_region: str | None = None) -> str:
    """Return the phone number in E.164 (+989121234567), or raise ValueError.

    Numbers without a country code are read in ``default_region`` (an ISO country code such as "IR").
    Cached: parsing is the costliest check of an imported row, and the import asks twice (duplicate keys first,
    then validation).
    """
    text = normalize_digits(raw.strip())
    if len(text) > 40:
        raise ValueError("Not a valid phone number.")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        reason = "add the country code, e.g. +44" if not text.startswith("+") else "not a phone number"
        raise ValueError(f"Not a valid phone number ({reason}).") from exc
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        raise ValueError("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def searchable_phone(raw: str) -> str | None:
    """The E.164 form of a search term that looks like a phone number, else None."""
    text = normalize_digits(raw.strip())
    if sum(ch.isdigit() for ch in text) < 6 or not re.fullmatch(r"[+\d\s().-]+", text):
        return None
    try:
        return normalize_phone(text if text.startswith(("+", "00")) else "+" + text)
    except ValueError:
        return None
