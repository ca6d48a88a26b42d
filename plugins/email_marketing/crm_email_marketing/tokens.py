"""Signed, URL-safe tokens for the unsubscribe, open-pixel and click links.

Each purpose signs with its own salt, so a token minted for one purpose is
worthless for another (an open-pixel token cannot unsubscribe anyone).

Tokens carry identifiers only. In particular a click token carries the
delivery id and the *index* of the link in the campaign's stored link list,
never the URL: the redirect target is looked up server-side, so a forged or
edited token cannot turn the click endpoint into an open redirect.

Tokens do not expire: links in old emails must keep working, and an
unsubscribe link in particular must not stop working. To rotate the secret,
pass a list ``[old, new]``: the newest signs, all of them verify.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_encode, want_bytes

__all__ = ["ClickToken", "DeliveryId", "TokenPurpose", "TrackingTokens"]

#: Primary key of a delivery (one message to one recipient).
DeliveryId = int | str

#: Anything longer is not one of ours; refuse it before doing any crypto.
MAX_TOKEN_LENGTH = 512
_MAX_STR_ID_LENGTH = 64
_SHORTEST_COMPRESSIBLE = 10


class TokenPurpose(StrEnum):
    UNSUBSCRIBE = "unsubscribe"
    OPEN = "open"
    CLICK = "click"


@dataclass(frozen=True)
class ClickToken:
    """A verified click: which delivery, which campaign link."""

    delivery_id: DeliveryId
    link_index: int


def _valid_delivery_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value >= 0
    return isinstance(value, str) and 0 < len(value) <= _MAX_STR_ID_LENGTH


class TrackingTokens:
    """Makes and verifies the tokens of one installation.

    ``verify_*`` methods return ``None`` for anything that is not a token we
    signed for that purpose (bad signature, wrong purpose, garbage, wrong
    payload shape); callers answer 404 and learn nothing more.
    """

    SALT_PREFIX = "crm_email_marketing.tokens."

    def __init__(self, secret: str | bytes | Sequence[str | bytes]) -> None:
        keys = [secret] if isinstance(secret, (str, bytes)) else list(secret)
        if not keys or not all(keys):
            raise ValueError("a non-empty signing secret is required")
        self._serializers = {
            purpose: URLSafeSerializer(keys, salt=self.SALT_PREFIX + purpose.value) for purpose in TokenPurpose
        }
        # What the serializer's signer derives on every call, derived once: a campaign signs three tokens per
        # message. The tokens are byte for byte the serializer's own (a test compares them).
        self._signing = {}
        for purpose, serializer in self._serializers.items():
            signer = serializer.make_signer()
            self._signing[purpose] = (signer.derive_key(), signer.digest_method().name, signer.sep)

    def _dumps(self, purpose: TokenPurpose, payload: Any) -> str:
        key, digest, separator = self._signing[purpose]
        serializer = self._serializers[purpose]
        encoded = want_bytes(serializer.serializer.dumps(payload, **serializer.serializer_kwargs))
        # The serializer tries zlib on every payload; zlib's output is never under 8 bytes, so it cannot win
        # (be 2 bytes shorter) on the short payloads of our tokens, and the attempt is skipped for them.
        if len(encoded) < _SHORTEST_COMPRESSIBLE:
            value = base64_encode(encoded)
        else:
            value = want_bytes(serializer.dump_payload(payload))
        return (value + separator + base64_encode(hmac.digest(key, value, digest))).decode("ascii")

    def _loads(self, purpose: TokenPurpose, token: str) -> Any:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        try:
            return self._serializers[purpose].loads(token)
        except (BadData, UnicodeError, ValueError):
            return None

    def unsubscribe_token(self, delivery_id: DeliveryId) -> str:
        """Token for the unsubscribe URL and the ``mailto:`` unsubscribe subject."""
        self._require_delivery_id(delivery_id)
        return self._dumps(TokenPurpose.UNSUBSCRIBE, delivery_id)

    def open_token(self, delivery_id: DeliveryId) -> str:
        """Token for the open-tracking pixel."""
        self._require_delivery_id(delivery_id)
        return self._dumps(TokenPurpose.OPEN, delivery_id)

    def click_token(self, delivery_id: DeliveryId, link_index: int) -> str:
        """Token for the click redirect of campaign link number ``link_index``."""
        self._require_delivery_id(delivery_id)
        if isinstance(link_index, bool) or not isinstance(link_index, int) or link_index < 0:
            raise ValueError(f"invalid link index: {link_index!r}")
        return self._dumps(TokenPurpose.CLICK, [delivery_id, link_index])

    def verify_unsubscribe(self, token: str) -> DeliveryId | None:
        payload = self._loads(TokenPurpose.UNSUBSCRIBE, token)
        return payload if _valid_delivery_id(payload) else None

    def verify_open(self, token: str) -> DeliveryId | None:
        payload = self._loads(TokenPurpose.OPEN, token)
        return payload if _valid_delivery_id(payload) else None

    def verify_click(self, token: str) -> ClickToken | None:
        payload = self._loads(TokenPurpose.CLICK, token)
        if not (isinstance(payload, list) and len(payload) == 2):
            return None
        delivery_id, link_index = payload
        if not _valid_delivery_id(delivery_id):
            return None
        if isinstance(link_index, bool) or not isinstance(link_index, int) or link_index < 0:
            return None
        return ClickToken(delivery_id=delivery_id, link_index=link_index)

    @staticmethod
    def _require_delivery_id(delivery_id: DeliveryId) -> None:
        if not _valid_delivery_id(delivery_id):
            raise ValueError(f"invalid delivery id: {delivery_id!r}")
