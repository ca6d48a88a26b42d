"""Index-friendly search: a phone number matches its E.164 form, an email matches exactly, a name by prefix.

``LIKE '%term%'`` cannot use an index and scans a million rows; these clauses each hit an index.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from crmcore.normalize import normalize_digits, searchable_phone

#: The highest code point, so ``name < prefix + HIGHEST`` bounds a prefix range.
HIGHEST = "\U0010ffff"


def prefix_range(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, written as a range so a B-tree index on the column serves it."""
    return and_(column >= prefix, column < prefix + HIGHEST)


def name_prefix(column: Any, term: str) -> ColumnElement[bool]:
    """A name starting with the term as typed, or with its first letter capitalised ("acme" finds "Acme")."""
    variants = list(dict.fromkeys([term, term[:1].upper() + term[1:]]))
    return or_(*(prefix_range(column, variant) for variant in variants))


def record_search(term: str, *, name: Any, email: Any | None = None, phone: Any | None = None,
                  id_column: Any | None = None) -> ColumnElement[bool]:
    """What a search box term matches: an id, a phone number, an email or the start of a name."""
    term = " ".join(term.split())
    if not term:
        return false()
    digits = normalize_digits(term)
    clauses: list[ColumnElement[bool]] = []
    if id_column is not None and digits.startswith("#") and digits[1:].isdigit() and int(digits[1:]) < 2**63:
        return id_column == int(digits[1:])
    if "@" in term and email is not None:
        return email == term.lower()
    phone_number = searchable_phone(term)
    if phone_number is not None and phone is not None:
        clauses.append(phone == phone_number)
    clauses.append(name_prefix(name, term))
    return or_(*clauses)
