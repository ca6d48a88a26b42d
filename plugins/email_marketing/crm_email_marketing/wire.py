"""Header and body encodings written straight to SMTP bytes, for the send path.

Building a message with the ``email`` package and flattening it costs milliseconds, nearly all of it spent
parsing and re-folding headers; a campaign sends the same structure thousands of times with a few values changed.
:meth:`~crm_email_marketing.message.MessageBuilder.prepare` writes those values with these functions instead:
header text as it is when it is plain printable ASCII, else as RFC 2047 encoded-words (UTF-8, base64, split on
character boundaries); lines folded at spaces to at most 78 characters; bodies 7bit when they are ASCII with short
lines, else quoted-printable; CRLF line endings throughout, so the whole message is 7-bit ASCII.
"""

from __future__ import annotations

import base64
import binascii
import random
import re

__all__ = ["address_header", "body", "boundary", "encoded_words", "text_header", "transfer_encoding"]

LINE = 78
#: UTF-8 bytes per encoded-word: 52 base64 characters make a 64-character word, so "Subject: " plus one word
#: stays within a line.
_WORD_BYTES = 39
_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_RANDOM = random.SystemRandom()


def encoded_words(text: str) -> list[str]:
    """``text`` as RFC 2047 encoded-words; a decoder joins adjacent words without the space between them."""
    data = text.encode("utf-8")
    words = []
    start = 0
    while start < len(data):
        end = min(start + _WORD_BYTES, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # never split a character
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return words


def _plain(text: str) -> bool:
    """Text a header can carry as it is: printable ASCII, single spaces, nothing that reads as an encoded-word."""
    return text.isascii() and text.isprintable() and "=?" not in text and "  " not in text and text == text.strip()


def _fold(tokens: list[str], limit: int = LINE) -> str | None:
    """The tokens joined by spaces, a line break before each token that would pass ``limit``; None when one
    token alone is too long for a line."""
    lines = [tokens[0]]
    for token in tokens[1:]:
        if len(lines[-1]) + 1 + len(token) <= limit:
            lines[-1] += " " + token
        else:
            lines.append(" " + token)
    if max(map(len, lines)) > limit:
        return None
    return "\r\n".join(lines) + "\r\n"


def text_header(name: str, value: str) -> str:
    """An unstructured header (``Subject``) with its CRLF."""
    if _plain(value):
        folded = _fold([f"{name}:", *value.split(" ")])
        if folded is not None:
            return folded
    folded = _fold([f"{name}:", *encoded_words(value)])
    if folded is None:  # only a header name longer than a line could do this
        raise ValueError(f"the header name is too long: {name!r}")
    return folded


def address_header(name: str, addr_spec: str, display_name: str = "") -> str:
    """A header with one address (``To``), its display name as an atom phrase, a quoted string or
    encoded-words. ``addr_spec`` must be ASCII (see :func:`~crm_email_marketing.message.make_address`)."""
    if not display_name:
        phrase = []
    elif _plain(display_name) and _PHRASE.fullmatch(display_name):
        phrase = display_name.split(" ")
    elif _plain(display_name):
        phrase = ('"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"').split(" ")
    else:
        phrase = encoded_words(display_name)
    tokens = [f"{name}:", *phrase, f"<{addr_spec}>" if phrase else addr_spec]
    folded = _fold(tokens) or _fold(tokens, limit=998)
    if folded is None:
        raise ValueError(f"the address is too long for a header line: {addr_spec!r}")
    return folded


def transfer_encoding(text: str) -> str:
    """7bit for ASCII text with lines of at most 78 characters, else quoted-printable (never base64, which
    spam filters dislike for text)."""
    if text.isascii() and all(len(line) <= LINE for line in text.splitlines()):
        return "7bit"
    return "quoted-printable"


def body(text: str, cte: str) -> bytes:
    """``text`` in UTF-8 with CRLF line endings and a final line break, encoded with ``cte``
    (from :func:`transfer_encoding`)."""
    data = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    return data if cte == "7bit" else binascii.b2a_qp(data, istext=True)


def boundary() -> str:
    """A multipart boundary in the ``email`` package's style; callers check that no body contains it."""
    return f"{'=' * 15}{_RANDOM.randrange(10**19):019d}=="
