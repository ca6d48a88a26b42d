"""Signed tokens for unsubscribe, open and click links."""

from __future__ import annotations

import base64
import json
import re

import pytest
from crm_email_marketing import ClickToken, TrackingTokens

URL_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


def _payload(token: str) -> object:
    encoded = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))


def _forge(payload: object, signature_of: str) -> str:
    """A token with ``payload`` and the signature of another token."""
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode())
    return body.decode().rstrip("=") + "." + signature_of.split(".")[-1]


def test_an_unsubscribe_token_verifies_to_its_delivery_id(tracking_tokens):
    token = tracking_tokens.unsubscribe_token(1234)

    assert tracking_tokens.verify_unsubscribe(token) == 1234


def test_an_open_token_verifies_to_its_delivery_id(tracking_tokens):
    token = tracking_tokens.open_token("d-5f2c")

    assert tracking_tokens.verify_open(token) == "d-5f2c"


def test_a_click_token_verifies_to_its_delivery_and_link_index(tracking_tokens):
    token = tracking_tokens.click_token(1234, 3)

    assert tracking_tokens.verify_click(token) == ClickToken(delivery_id=1234, link_index=3)


def test_tokens_are_url_safe(tracking_tokens):
    tokens = [
        tracking_tokens.unsubscribe_token(2**40),
        tracking_tokens.open_token(7),
        tracking_tokens.click_token(7, 12),
    ]

    assert all(URL_SAFE.match(token) for token in tokens)


def test_a_click_token_carries_a_link_index_never_a_url(tracking_tokens):
    token = tracking_tokens.click_token(1234, 0)

    assert _payload(token) == [1234, 0]


def test_a_click_token_with_an_edited_link_index_is_rejected(tracking_tokens):
    genuine = tracking_tokens.click_token(1234, 0)

    assert tracking_tokens.verify_click(_forge([1234, 1], signature_of=genuine)) is None


def test_a_click_token_with_an_edited_signature_is_rejected(tracking_tokens):
    genuine = tracking_tokens.click_token(1234, 0)
    last = genuine[-1]
    tampered = genuine[:-1] + ("A" if last != "A" else "B")

    assert tracking_tokens.verify_click(tampered) is None


def test_an_unsubscribe_token_for_another_delivery_cannot_be_forged(tracking_tokens):
    genuine = tracking_tokens.unsubscribe_token(1)

    assert tracking_tokens.verify_unsubscribe(_forge(2, signature_of=genuine)) is None


def test_a_token_is_only_valid_for_its_own_purpose(tracking_tokens):
    open_token = tracking_tokens.open_token(1234)

    assert tracking_tokens.verify_unsubscribe(open_token) is None
    assert tracking_tokens.verify_click(open_token) is None


def test_a_token_signed_with_another_secret_is_rejected(tracking_tokens):
    foreign = TrackingTokens("another-installation").unsubscribe_token(1234)

    assert tracking_tokens.verify_unsubscribe(foreign) is None


def test_tokens_signed_before_a_secret_rotation_still_verify():
    old_token = TrackingTokens("old-secret").unsubscribe_token(1234)
    rotated = TrackingTokens(["old-secret", "new-secret"])

    assert rotated.verify_unsubscribe(old_token) == 1234
    assert TrackingTokens("new-secret").verify_unsubscribe(rotated.unsubscribe_token(1)) == 1


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "%00", "x" * 10_000, "é.é"])
def test_malformed_tokens_are_rejected(tracking_tokens, token):
    assert tracking_tokens.verify_unsubscribe(token) is None
    assert tracking_tokens.verify_open(token) is None
    assert tracking_tokens.verify_click(token) is None


@pytest.mark.parametrize("delivery_id", [-1, True, "", None, 1.5])
def test_invalid_delivery_ids_cannot_be_signed(tracking_tokens, delivery_id):
    with pytest.raises(ValueError, match="delivery id"):
        tracking_tokens.unsubscribe_token(delivery_id)


@pytest.mark.parametrize("secret", ["one-secret", ["old-secret", "new-secret"]], ids=["one key", "rotated keys"])
@pytest.mark.parametrize("delivery_id", [7, 999_999_999, 1_111_111_111, 2**62, "a" * 60],
                         ids=["small id", "nine digits", "ten repeated digits", "large id", "compressible id"])
def test_tokens_are_exactly_what_itsdangerous_signs_for_the_purpose(secret, delivery_id):
    from itsdangerous import URLSafeSerializer

    tokens = TrackingTokens(secret)

    def reference(purpose: str, payload: object) -> str:
        return URLSafeSerializer(secret, salt=TrackingTokens.SALT_PREFIX + purpose).dumps(payload)

    assert tokens.unsubscribe_token(delivery_id) == reference("unsubscribe", delivery_id)
    assert tokens.open_token(delivery_id) == reference("open", delivery_id)
    assert tokens.click_token(delivery_id, 3) == reference("click", [delivery_id, 3])
