"""Sending over SMTP with one connection per batch and classified failures.

:class:`SmtpSender` drives the SMTP transaction itself (``MAIL``, ``RCPT``,
``DATA``) instead of calling :meth:`smtplib.SMTP.send_message`, so that it
knows at which stage a failure happened. That decides two things:

* Whether a lost connection may be retried at once. Before ``DATA`` the
  server cannot have the message, so the sender reconnects and retries on a
  fresh connection (idle connections being dropped by the server is normal).
  During ``DATA`` the server may already have accepted it; the result is a
  temporary failure and the delivery is retried later with the same
  Message-ID (see :func:`~crm_email_marketing.message.message_id_for`).
* What the failure means for the delivery (:class:`SendResult`): 4xx replies
  and connection problems are temporary; 5xx replies to ``RCPT`` or to the
  message data are permanent. A refused *sender* (``MAIL FROM``) or a failed
  login says nothing about the recipient: it is reported as temporary with
  :attr:`SendResult.server_unavailable` set, and the batch should stop.
"""

from __future__ import annotations

import copy
import io
import random
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from enum import StrEnum
from types import TracebackType
from typing import Literal, Self

__all__ = [
    "PreparedMessage",
    "SendResult",
    "SendStage",
    "SendStatus",
    "SmtpSender",
    "SmtpSettings",
    "retry_delay",
]

_RNG = random.Random()
_ENHANCED_CODE = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")
_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9.-]+")


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """How to reach the outgoing mail server.

    ``security`` is ``"starttls"`` (usually port 587), ``"ssl"`` (implicit
    TLS, usually port 465) or ``"none"`` (a local relay only). ``envelope_from``
    is the ``MAIL FROM`` (bounce) address; by default the message's From.
    The connection is renewed after ``max_messages_per_connection`` messages
    because many servers limit messages per session.
    """

    host: str
    port: int = 587
    security: Literal["none", "starttls", "ssl"] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    local_hostname: str | None = None
    envelope_from: str | None = None
    max_messages_per_connection: int | None = 100
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class PreparedMessage:
    """A message serialised for SMTP (CRLF line endings, no Bcc) with its envelope."""

    data: bytes
    sender: str
    recipients: tuple[str, ...]
    message_id: str | None = None


class SendStatus(StrEnum):
    SENT = "sent"
    TEMPORARY_FAILURE = "temporary_failure"
    PERMANENT_FAILURE = "permanent_failure"


class SendStage(StrEnum):
    """Where the transaction ended."""

    CONNECT = "connect"
    SENDER = "sender"
    RECIPIENT = "recipient"
    DATA = "data"


@dataclass(frozen=True)
class SendResult:
    """Outcome of one message.

    ``code`` and ``message`` are the server's reply (``code`` is ``None`` for
    network errors); ``refused`` lists recipients refused while others were
    accepted.
    """

    status: SendStatus
    stage: SendStage
    code: int | None
    message: str
    message_id: str | None = None
    refused: Mapping[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def sent(self) -> bool:
        return self.status is SendStatus.SENT

    @property
    def enhanced_code(self) -> str | None:
        """RFC 3463 status such as ``"5.1.1"`` when the server gave one."""
        match = _ENHANCED_CODE.match(self.message)
        return match.group(1) if match else None

    @property
    def server_unavailable(self) -> bool:
        """The server or our account is the problem: pause the batch, retry later."""
        return self.status is SendStatus.TEMPORARY_FAILURE and self.stage in (
            SendStage.CONNECT,
            SendStage.SENDER,
        )

    @property
    def is_hard_bounce(self) -> bool:
        """The recipient address itself is bad; suppress it for future campaigns.

        Permanent refusals for policy or reputation reasons (``5.7.x``, e.g. a
        blocklisted sending IP) are not hard bounces: suppressing the address
        would punish the recipient for the sender's problem.
        """
        if self.status is not SendStatus.PERMANENT_FAILURE:
            return False
        enhanced = self.enhanced_code
        if enhanced is not None:
            return enhanced.startswith("5.1.") or enhanced == "5.2.1"
        return self.stage is SendStage.RECIPIENT and self.code in (550, 551, 553)


def retry_delay(
    attempt: int,
    *,
    base: timedelta = timedelta(minutes=5),
    cap: timedelta = timedelta(hours=6),
    rng: random.Random | None = None,
) -> timedelta:
    """Back-off before retry number ``attempt`` (1 = first retry).

    Exponential (``base * 2 ** (attempt - 1)``, at most ``cap``) with "equal
    jitter": a uniformly random value between half and all of it. Half is
    kept fixed because greylisting servers refuse retries that come too soon
    (typically under five minutes), and the random half spreads a failed
    batch out instead of retrying it all at the same moment.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    exponent = min(attempt - 1, 32)
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2**exponent)
    seconds = ceiling / 2 + (rng or _RNG).uniform(0, ceiling / 2)
    return timedelta(seconds=seconds)


def _status_for(code: int) -> SendStatus:
    return SendStatus.PERMANENT_FAILURE if 500 <= code < 600 else SendStatus.TEMPORARY_FAILURE


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


class _StaleConnectionError(Exception):
    """The connection died before the server could have the message."""


class SmtpSender:
    """Sends messages over one reused SMTP connection.

    Use it as a context manager around a batch::

        with SmtpSender(settings) as sender:
            for message in messages:
                result = sender.send(message)

    The connection is opened on the first :meth:`send`, reopened when the
    server drops it, renewed after ``max_messages_per_connection`` messages,
    and closed with ``QUIT`` on exit. :meth:`send` never raises for SMTP or
    network problems; it returns a :class:`SendResult`. Not thread-safe.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._connection: smtplib.SMTP | None = None
        self._sent_on_connection = 0
        self.connections_opened = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say ``QUIT`` and close the connection, if one is open."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = s.ssl_context or (ssl.create_default_context() if s.security != "none" else None)
        connection: smtplib.SMTP
        if s.security == "ssl":
            connection = smtplib.SMTP_SSL(
                s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(s.host, s.port, local_hostname=s.local_hostname, timeout=s.timeout)
        try:
            connection.ehlo()
            if s.security == "starttls":
                connection.starttls(context=context)
                connection.ehlo()
            if s.username:
                connection.login(s.username, s.password or "")
        except BaseException:
            connection.close()
            raise
        self.connections_opened += 1
        self._sent_on_connection = 0
        return connection

    def _ensure_connection(self) -> smtplib.SMTP:
        limit = self.settings.max_messages_per_connection
        if self._connection is not None and limit and self._sent_on_connection >= limit:
            self.close()
        if self._connection is None:
            self._connection = self._connect()
        return self._connection

    def send(
        self,
        message: EmailMessage | PreparedMessage,
        *,
        recipients: Sequence[str] | None = None,
        envelope_from: str | None = None,
        while_waiting: Callable[[], None] | None = None,
    ) -> SendResult:
        """Send ``message``; recipients default to its To/Cc/Bcc addresses (or its envelope when prepared).

        ``while_waiting`` is called at most once, after the message data is on the wire and before the server's
        verdict is read: the time the server takes to accept a message is the caller's to use (a campaign
        prepares its next message there). It must not raise.
        """
        if isinstance(message, EmailMessage):
            message = PreparedMessage(
                data=_flatten(message),
                sender=_header_sender(message),
                recipients=tuple(_header_recipients(message)),
                message_id=str(message["Message-ID"]) if "Message-ID" in message else None,
            )
        message_id = message.message_id
        sender = envelope_from or self.settings.envelope_from or message.sender
        to_addrs = list(recipients) if recipients is not None else list(message.recipients)
        unusable = [address for address in to_addrs if not address.isascii()]
        if not to_addrs or unusable:
            reason = f"address needs SMTPUTF8: {unusable[0]}" if unusable else "the message has no recipients"
            return SendResult(SendStatus.PERMANENT_FAILURE, SendStage.RECIPIENT, None, reason, message_id)
        if not sender or not sender.isascii():
            reason = f"unusable envelope sender: {sender!r}"
            return SendResult(SendStatus.TEMPORARY_FAILURE, SendStage.SENDER, None, reason, message_id)
        data = message.data
        for attempt in (1, 2):
            try:
                connection = self._ensure_connection()
            except smtplib.SMTPResponseException as exc:
                self._discard()
                return SendResult(
                    SendStatus.TEMPORARY_FAILURE,
                    SendStage.CONNECT,
                    exc.smtp_code,
                    _text(exc.smtp_error),
                    message_id,
                )
            except (smtplib.SMTPException, OSError) as exc:
                self._discard()
                return SendResult(
                    SendStatus.TEMPORARY_FAILURE,
                    SendStage.CONNECT,
                    None,
                    f"{type(exc).__name__}: {exc}",
                    message_id,
                )
            try:
                result = self._transaction(connection, sender, to_addrs, data, while_waiting)
            except _StaleConnectionError:
                self._discard()
                if attempt == 1:
                    continue
                return SendResult(
                    SendStatus.TEMPORARY_FAILURE,
                    SendStage.CONNECT,
                    None,
                    "the server closed the connection",
                    message_id,
                )
            return replace(result, message_id=message_id)
        raise AssertionError("unreachable")

    def _transaction(self, connection: smtplib.SMTP, sender: str, to_addrs: Sequence[str], data: bytes,
                     while_waiting: Callable[[], None] | None = None) -> SendResult:
        options = [f"SIZE={len(data)}"] if connection.has_extn("size") else []
        lines = [_envelope_line(connection, "mail", "from", sender, options),
                 *(_envelope_line(connection, "rcpt", "to", address) for address in to_addrs)]
        pipelined = connection.has_extn("pipelining")
        try:
            replies = _pipelined_envelope(connection, lines) if pipelined else _envelope(connection, lines)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            raise _StaleConnectionError from exc
        if any(code == 421 for code, _ in replies):
            raise _StaleConnectionError
        data_reply = replies[len(lines)] if pipelined else None
        code, reply = replies[0]
        if code != 250:
            self._abandon(connection, data_reply)
            return SendResult(SendStatus.TEMPORARY_FAILURE, SendStage.SENDER, code, _text(reply))

        refused = {address: (code, _text(reply)) for address, (code, reply) in zip(to_addrs, replies[1:], strict=False)
                   if code not in (250, 251)}
        if len(refused) == len(to_addrs):
            self._abandon(connection, data_reply)
            code, reply_text = _worst(refused)
            return SendResult(_status_for(code), SendStage.RECIPIENT, code, reply_text)

        try:
            code, reply = _data(connection, data, while_waiting, data_reply)
        except smtplib.SMTPDataError as exc:
            self._reset(connection)
            return SendResult(_status_for(exc.smtp_code), SendStage.DATA, exc.smtp_code, _text(exc.smtp_error))
        except (smtplib.SMTPException, OSError) as exc:
            self._discard()
            return SendResult(
                SendStatus.TEMPORARY_FAILURE,
                SendStage.DATA,
                None,
                f"connection lost during DATA, outcome unknown ({type(exc).__name__}: {exc})",
            )
        self._sent_on_connection += 1
        if code == 250:
            return SendResult(SendStatus.SENT, SendStage.DATA, code, _text(reply), refused=refused)
        if code == 421:
            self._discard()
        return SendResult(_status_for(code), SendStage.DATA, code, _text(reply))

    def _abandon(self, connection: smtplib.SMTP, data_reply: tuple[int, bytes] | None) -> None:
        """End a transaction whose message will not be sent. A pipelined ``DATA`` the server answered with 354
        anyway leaves it waiting for the message: the connection is dropped, so it never gets one."""
        if data_reply is not None and data_reply[0] == 354:
            self._discard()
        else:
            self._reset(connection)

    def _reset(self, connection: smtplib.SMTP) -> None:
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self._discard()


def _envelope_line(connection: smtplib.SMTP, verb: str, field: str, address: str, options: Sequence[str] = ()) -> str:
    """``MAIL FROM`` or ``RCPT TO`` as :mod:`smtplib` writes them, without re-parsing a plain address."""
    quoted = f"<{address}>" if _PLAIN_ADDRESS.fullmatch(address) else smtplib.quoteaddr(address)
    extra = " " + " ".join(options) if options and connection.does_esmtp else ""
    line = f"{verb} {field}:{quoted}{extra}"
    if "\r" in line or "\n" in line:
        raise ValueError(f"a line break in an SMTP command: {line!r}")
    return line + "\r\n"


def _envelope(connection: smtplib.SMTP, lines: Sequence[str]) -> list[tuple[int, bytes]]:
    """One command at a time, each reply read before the next is sent; stops at a refused sender."""
    replies = []
    for line in lines:
        connection.send(line)
        replies.append(connection.getreply())
        if replies[-1][0] == 421 or replies[0][0] != 250:
            break
    return replies


def _pipelined_envelope(connection: smtplib.SMTP, lines: Sequence[str]) -> list[tuple[int, bytes]]:
    """RFC 2920: the envelope and ``DATA`` in one write, then their replies in order (the last one ``DATA``'s).

    Four round trips per message become two; the message itself still waits for ``DATA``'s 354.
    """
    connection.send("".join(lines) + "DATA\r\n")
    return [connection.getreply() for _ in range(len(lines) + 1)]


def _data(connection: smtplib.SMTP, data: bytes, while_waiting: Callable[[], None] | None,
          data_reply: tuple[int, bytes] | None = None) -> tuple[int, bytes]:
    """:meth:`smtplib.SMTP.data` with a pause for ``while_waiting`` between sending the message and reading
    the server's reply; ``data_reply`` is the reply to a ``DATA`` already sent (pipelined)."""
    if data_reply is None:
        connection.putcmd("data")
        data_reply = connection.getreply()
    code, reply = data_reply
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    payload = _DOT_AT_LINE_START.sub(b"..", data)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    connection.send(payload + b".\r\n")
    if while_waiting is not None:
        while_waiting()
    return connection.getreply()


def _worst(refused: Mapping[str, tuple[int, str]]) -> tuple[int, str]:
    """The reply that decides the outcome when every recipient was refused.

    A temporary refusal wins: the delivery can still succeed later.
    """
    replies = list(refused.values())
    temporary = [reply for reply in replies if reply[0] < 500]
    return (temporary or replies)[0]


def _header_sender(message: EmailMessage) -> str:
    return parseaddr(str(message.get("Sender") or message.get("From") or ""))[1]


def _header_recipients(message: EmailMessage) -> list[str]:
    values = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(values) if address]


def _flatten(message: EmailMessage) -> bytes:
    """Serialise with the message's own policy, CRLF line endings, no Bcc."""
    if "Bcc" in message:
        message = _copy_without_bcc(message)
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=message.policy.clone(linesep="\r\n")).flatten(message)
    return buffer.getvalue()


def _copy_without_bcc(message: EmailMessage) -> EmailMessage:
    duplicate = copy.copy(message)
    del duplicate["Bcc"]
    return duplicate
