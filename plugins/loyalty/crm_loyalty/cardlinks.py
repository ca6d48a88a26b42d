"""Signed links that let a member open their card on a phone without logging in."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "crm-loyalty-card"


def card_token(secret_key: str, member_id: int, card_number: str) -> str:
    """The card number is signed too, so a reissued card invalidates old links."""
    return URLSafeSerializer(secret_key, salt=SALT).dumps([member_id, card_number])


def read_card_token(secret_key: str, token: str) -> tuple[int, str] | None:
    try:
        member_id, card_number = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return int(member_id), str(card_number)
