"""Spam protection of the public form: a honeypot, a signed time token with a minimum fill time, a rate limit.

Bots fill every field (the honeypot, hidden from people, must stay empty) and post at once (the form
carries the signed time it was served; a post sooner than ``min_fill_seconds`` is refused). The rate
limit counts what one address sent in the last hour; the address is stored only as a keyed hash.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

HONEYPOT_FIELD = "website"
SALT = "crm-feedback-form"


def form_token(secret_key: str) -> str:
    return TimestampSigner(secret_key, salt=SALT).sign(str(int(time.time()))).decode()


def check_form_token(secret_key: str, token: str, min_seconds: int, max_seconds: int) -> str | None:
    """None when the token is good; otherwise the reason to tell the sender."""
    try:
        _, signed_at = TimestampSigner(secret_key, salt=SALT).unsign(token or "", max_age=max_seconds,
                                                                      return_timestamp=True)
    except SignatureExpired:
        return "The form has expired; reload the page and send it again."
    except BadSignature:
        return "The form could not be checked; reload the page and send it again."
    if time.time() - signed_at.timestamp() < min_seconds:
        return "The form was sent too quickly; please take a moment and send it again."
    return None


def address_hash(secret_key: str, address: str) -> str:
    return hmac.new(secret_key.encode(), address.encode(), hashlib.sha256).hexdigest()
